import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SECRETS, type Stack, startStack, WORKER_DIR } from "../../scripts/lib/stack.ts";
import { pngSize, rgbaPng, rgbPng } from "./support.ts";

const CLI = resolve(WORKER_DIR, "../cli/dist/gptimg");
const built = existsSync(CLI);
if (!built)
  console.warn(
    `cli.e2e: skipped: ${CLI} is not built (npm run build -w apps/cli builds it; turbo builds it before tests)`,
  );

let stack: Stack;
let token: string;
let dir: string;

function gptimg(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      CLI,
      args,
      {
        timeout: 60_000,
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), NO_COLOR: "1" },
      },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!built)("the compiled CLI through --endpoint", () => {
  beforeAll(async () => {
    stack = await startStack();
    token = await stack.createToken("e2e", "cli");
    dir = await mkdtemp(join(tmpdir(), "gptimg-cli-e2e-"));
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("generate saves the image and prints its absolute path", async () => {
    const before = stack.provider.count("/images/generations");
    const r = await gptimg([
      "generate",
      "a lighthouse at dusk",
      "--size",
      "1536x1024",
      "--endpoint",
      stack.origin,
      "--token",
      token,
      "-o",
      dir,
    ]);
    expect(r.stderr).not.toContain(token);
    expect(r.code).toBe(0);
    const path = r.stdout.trim().split("\n").at(-1) ?? "";
    expect(path.startsWith(dir)).toBe(true);
    expect(pngSize(new Uint8Array(await readFile(path)))).toEqual({ width: 1536, height: 1024 });
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  });

  it("edit sends the images and the mask through the Worker", async () => {
    await writeFile(join(dir, "dog.png"), rgbPng(512, 512));
    await writeFile(join(dir, "mask.png"), rgbaPng(512, 512));
    const r = await gptimg([
      "edit",
      "put a red scarf on the dog",
      "-i",
      "dog.png",
      "--mask",
      "mask.png",
      "--endpoint",
      stack.origin,
      "--token",
      token,
      "-o",
      dir,
    ]);
    expect(r.code).toBe(0);
    const upstream = stack.provider.requests.filter((q) => q.path.endsWith("/images/edits")).at(-1);
    expect(upstream?.files.map((f) => f.field).sort()).toEqual(expect.arrayContaining(["mask"]));
    expect(pngSize(new Uint8Array(await readFile(r.stdout.trim().split("\n").at(-1) ?? "")))).not.toBeNull();
  });

  it("exits 4 with the provider's message when the provider refuses", async () => {
    stack.provider.setFaults([
      { kind: "status", status: 400, message: "Your request was rejected by the safety system." },
    ]);
    const r = await gptimg(["generate", "refused", "--endpoint", stack.origin, "--token", token, "-o", dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("Your request was rejected by the safety system.");
    expect(r.stderr + r.stdout).not.toContain(DEV_SECRETS.PROVIDER_API_KEY);
  });

  it("--json carries the job id and each image's signed URL", async () => {
    const r = await gptimg(["generate", "a cat", "--json", "--endpoint", stack.origin, "--token", token, "-o", dir]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as { jobId: string; images: { path: string; url: string; bytes: number }[] };
    expect(e.jobId).toMatch(/^job_/);
    expect(e.images[0]?.url).toMatch(new RegExp(`^${stack.origin}/files/.+sig=`));
    const fetched = new Uint8Array(await (await fetch(e.images[0]!.url)).arrayBuffer());
    expect(fetched).toEqual(new Uint8Array(await readFile(e.images[0]!.path)));
  });

  it("--stream streams through the Worker, partial images included", async () => {
    const before = stack.provider.requests.length;
    const r = await gptimg([
      ...["generate", "a streamed cat", "--stream", "--partial-images", "2", "--json"],
      ...["--endpoint", stack.origin, "--token", token, "-o", join(dir, "streamed.png")],
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("ignored");
    const upstream = stack.provider.requests.slice(before).find((q) => q.path.endsWith("/images/generations"));
    expect(upstream?.fields).toMatchObject({ stream: true, partial_images: 2 });
    expect(existsSync(join(dir, "streamed.partial-1.png"))).toBe(true);
    const e = JSON.parse(r.stdout) as { images: { path: string }[] };
    expect(pngSize(new Uint8Array(await readFile(e.images[0]!.path)))).not.toBeNull();
  });

  it("jobs show of an unknown id names it once and exits 2", async () => {
    const r = await gptimg(["jobs", "show", "job_nope", "--endpoint", stack.origin, "--token", token]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: job job_nope not found: no job of this team has that id/m);
    expect(r.stderr.split("job_nope").length - 1).toBe(1);
  });
});
