/**
 * `npm run demo`: the whole product on this machine, offline. Starts the offline provider and the
 * Worker (wrangler dev, throwaway local D1/R2), creates a member token, generates an image through
 * the compiled CLI (or the jobs API when the CLI is not built), prints the saved file and a signed
 * URL, downloads the URL and checks it is the same image. Then prints the console's URL with a
 * member token to sign in with and keeps serving until Ctrl-C (GPTIMG_DEMO_EXIT=1 stops at once).
 * Stops everything it started.
 */
import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEV_SECRETS, type Stack, startStack, stopAll, WORKER_DIR } from "./lib/stack.ts";

const CLI = resolve(WORKER_DIR, "../cli/dist/gptimg");
const PROMPT = "a lighthouse at dusk, oil painting";
const t0 = Date.now();
const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => process.stderr.write(`[demo ${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);

let stack: Stack | undefined;
async function shutdown(code: number): Promise<never> {
  await stopAll();
  process.exit(code);
}
process.once("SIGINT", () => void shutdown(130));
process.once("SIGTERM", () => void shutdown(143));

interface JobImage {
  url: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
}

async function api<T>(s: Stack, token: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${s.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${body.error?.message ?? ""}`);
  return body;
}

/** Generates through the compiled CLI; returns the saved path. */
function viaCli(s: Stack, token: string, outDir: string): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(
      CLI,
      ["generate", PROMPT, "--size", "1024x1024", "--endpoint", s.origin, "--token", token, "-o", outDir],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: "1", GPTIMG_CONFIG: join(outDir, "no-config.json") } },
      (err, stdout, stderr) => {
        if (err) return fail(new Error(`gptimg generate failed (${err.message}):\n${stderr}`));
        const path = stdout.trim().split("\n").at(-1);
        return path ? ok(path) : fail(new Error(`gptimg generate printed no path:\n${stderr}`));
      },
    );
  });
}

/** Generates through POST /v1/jobs, waits for it, saves the image; returns the saved path. */
async function viaJobsApi(s: Stack, token: string, outDir: string): Promise<string> {
  const job = await api<{ id: string }>(s, token, "/v1/jobs", {
    method: "POST",
    body: JSON.stringify({ prompt: PROMPT, size: "1024x1024" }),
  });
  for (let i = 0; i < 120; i++) {
    const cur = await api<{ status: string; images: JobImage[]; error: { message: string } | null }>(
      s,
      token,
      `/v1/jobs/${job.id}`,
    );
    if (cur.status === "failed") throw new Error(`job ${job.id} failed: ${cur.error?.message}`);
    if (cur.status === "succeeded" && cur.images[0]) {
      const res = await fetch(cur.images[0].url);
      const path = join(outDir, `${job.id}.${cur.images[0].format === "jpeg" ? "jpg" : cur.images[0].format}`);
      await writeFile(path, new Uint8Array(await res.arrayBuffer()));
      return path;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`job ${job.id} did not finish within 60 s`);
}

async function main(): Promise<void> {
  step("starting the offline provider and the Worker (wrangler dev, local D1/R2/Workflows)…");
  stack = await startStack();
  step(`Worker on ${stack.origin}, offline provider on ${stack.provider.url}`);
  const token = await stack.createToken("demo", "you");
  step("created a member token through POST /admin/tokens");
  const outDir = await mkdtemp(join(tmpdir(), "gptimg-demo-"));
  const hasCli = await access(CLI).then(
    () => true,
    () => false,
  );
  let saved: string;
  if (hasCli) {
    step(`generating through the CLI: gptimg generate "${PROMPT}" --endpoint ${stack.origin} --token gpi_…`);
    saved = await viaCli(stack, token, outDir);
  } else {
    step(`the CLI is not built (${CLI} missing; npm run build builds it): using the jobs API directly`);
    saved = await viaJobsApi(stack, token, outDir);
  }
  // the newest entry of the member's history is the image just made; its URL is freshly signed
  const list = await api<{ data: { images: JobImage[] }[] }>(stack, token, "/v1/jobs?scope=member&limit=1");
  const image = list.data[0]?.images[0];
  if (!image) throw new Error("the Worker lists no image for this member");
  const downloaded = new Uint8Array(await (await fetch(image.url)).arrayBuffer());
  const local = new Uint8Array(await readFile(saved));
  const same = downloaded.length === local.length && downloaded.every((b, i) => b === local[i]);
  say(`saved:      ${saved}`);
  say(`signed URL: ${image.url}`);
  say(
    `download:   ${downloaded.length} bytes, ${image.width}x${image.height} ${image.format}, ${same ? "identical to the saved file" : "DIFFERENT from the saved file"}`,
  );
  if (!same) throw new Error("the signed URL served different bytes than the saved file");
  step(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (process.env.GPTIMG_DEMO_EXIT === "1") return;
  // the console stays up until Ctrl-C: open it and sign in with the member token
  say("");
  say(`console:    ${stack.origin}/`);
  say(`sign in with this member token: ${token}`);
  say(`(or the admin token for the admin pages: ${DEV_SECRETS.ADMIN_TOKEN})`);
  step("the Worker and the provider keep running; press Ctrl-C to stop them");
  await new Promise<never>(() => {});
}

main().then(
  () => shutdown(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return shutdown(1);
  },
);
