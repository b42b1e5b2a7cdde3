/**
 * A local gptimg stack for the demo, the end-to-end tests and the benchmarks: the offline provider
 * plus the Worker under `wrangler dev` with throwaway local D1/R2/Workflows state. Node only.
 * Listens on 127.0.0.1 only; needs no internet.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type OfflineProvider, type OfflineProviderOptions, startOfflineProvider } from "@gptimg/offline-provider";

/** Directory of apps/worker. */
export const WORKER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = join(WORKER_DIR, "node_modules/.bin/wrangler");
const WRANGLER_ROOT = join(WORKER_DIR, "../../node_modules/.bin/wrangler");

/** Canary secrets: obviously fake, so a leak in output is easy to spot and harmless. */
export const DEV_SECRETS = {
  PROVIDER_API_KEY: "sk-canary-offline-provider-key",
  ADMIN_TOKEN: "canary_admin_token_for_local_dev",
  SIGNING_KEYS: JSON.stringify({ dev1: "canary-signing-key-local-dev-0123456789" }),
};

export interface StackOptions {
  /** offline provider options (its apiKey is always DEV_SECRETS.PROVIDER_API_KEY) */
  provider?: Omit<OfflineProviderOptions, "apiKey">;
  /** extra `--var NAME:value` for the Worker */
  vars?: Record<string, string>;
  /** receives wrangler's output lines */
  log?: (line: string) => void;
  /** how long to wait for wrangler dev to answer, ms (default 60 s) */
  startTimeoutMs?: number;
  /** false: leave the D1 migrations unapplied (default true) */
  migrate?: boolean;
  /** secrets in place of DEV_SECRETS; a name set to undefined is left out */
  secrets?: Record<string, string | undefined>;
  /**
   * false: run the Worker through `scripts/lib/serve.ts` (wrangler's `unstable_startWorker` with
   * the DevTools inspector off) instead of `wrangler dev`. For memory figures: wrangler's
   * inspector proxy turns every DevTools network event of a large upstream body into a local
   * HTTP request, so its own workerd process, not the Worker, grows by hundreds of MiB.
   * Default true, as `wrangler dev` runs.
   */
  inspector?: boolean;
}

export interface Stack {
  provider: OfflineProvider;
  /** Worker origin, e.g. http://127.0.0.1:8787 */
  origin: string;
  /** pid of the wrangler process (workerd runs below it) */
  wranglerPid: number;
  /** creates a member token through POST /admin/tokens */
  createToken(team?: string, member?: string): Promise<string>;
  /** stops wrangler and the provider and removes the state directory; safe to call twice */
  stop(): Promise<void>;
}

const running = new Set<() => Promise<void>>();

/** Stops every stack this process started, including one still starting (for signal handlers). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** A free TCP port on 127.0.0.1 (the OS picks; released before returning). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log?: (l: string) => void): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: WORKER_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const collect = (b: Buffer) => {
      out += b.toString();
      for (const line of b.toString().split("\n")) if (line.trim()) log?.(line);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", fail);
    child.once("exit", (code) =>
      code === 0 ? ok() : fail(new Error(`${cmd} ${args.slice(0, 3).join(" ")} exited ${code}:\n${out.slice(-2000)}`)),
    );
  });
}

/** Signals a whole process group (wrangler is started as a group leader). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The wrangler binary of this checkout (the worker's own node_modules, or the root's). */
export async function wranglerBin(): Promise<string> {
  for (const p of [WRANGLER, WRANGLER_ROOT]) {
    try {
      await readFile(p);
      return p;
    } catch {
      // try the next location
    }
  }
  throw new Error("wrangler not found: run npm ci first");
}

/** Every descendant pid of `pid` (Linux /proc). */
export async function descendants(pid: number): Promise<{ pid: number; name: string }[]> {
  const all: { pid: number; ppid: number; name: string }[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m) all.push({ pid: Number(entry), ppid: Number(m[2]), name: m[1] ?? "" });
    } catch {
      // the process ended while we looked
    }
  }
  const out: { pid: number; name: string }[] = [];
  const queue = [pid];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const p of all)
      if (p.ppid === queue[i]) {
        out.push({ pid: p.pid, name: p.name });
        queue.push(p.pid);
      }
  }
  return out;
}

/** wrangler.jsonc with comments stripped (it is JSONC); strings are left alone. */
async function readWranglerConfig(): Promise<Record<string, unknown>> {
  const text = await readFile(join(WORKER_DIR, "wrangler.jsonc"), "utf8");
  const stripped = text.replace(
    /("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
    (_m, str: string | undefined) => str ?? "",
  );
  return JSON.parse(stripped.replace(/,(\s*[}\]])/g, "$1")) as Record<string, unknown>;
}

/**
 * Bundles the Worker once (`wrangler deploy --dry-run --outdir`) and writes a config that runs that
 * bundle unbundled: `wrangler dev` watches its sources and restarts the Worker mid-request when
 * any of them changes, so a snapshot keeps long runs (tests, benchmarks) steady.
 */
async function snapshotConfig(
  wrangler: string,
  state: string,
  env: NodeJS.ProcessEnv,
  log?: (l: string) => void,
): Promise<string> {
  const outdir = join(state, "bundle");
  await run(wrangler, ["deploy", "--dry-run", "--outdir", outdir], env, log);
  const config = await readWranglerConfig();
  config.main = join(outdir, "index.js");
  config.no_bundle = true;
  config.find_additional_modules = false;
  delete config.$schema;
  const assets = config.assets as { directory?: string } | undefined;
  if (assets?.directory) assets.directory = join(WORKER_DIR, assets.directory);
  const d1 = config.d1_databases as { migrations_dir?: string }[] | undefined;
  for (const db of d1 ?? []) db.migrations_dir = join(WORKER_DIR, db.migrations_dir ?? "migrations");
  const path = join(state, "wrangler.json");
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * Starts the offline provider and the Worker. Secrets reach wrangler through a generated env file
 * in the throwaway state directory (`--env-file`), so a user's own `.dev.vars` is neither read nor
 * touched. Migrations are applied to the same local D1 first.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log;
  const provider = await startOfflineProvider({ ...opts.provider, apiKey: DEV_SECRETS.PROVIDER_API_KEY });
  const state = await mkdtemp(join(tmpdir(), "gptimg-dev-"));
  let child: ChildProcess | undefined;
  let stopped = false;
  // last resort when the parent dies without calling stop(): no orphaned wrangler/workerd
  const onExit = () => {
    if (child?.pid) killGroup(child.pid, "SIGKILL");
  };
  process.on("exit", onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    running.delete(stop);
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      killGroup(child.pid, "SIGTERM");
      await Promise.race([exited, sleep(5000)]);
    }
    // workerd and esbuild run below wrangler in its process group: make sure none outlives us
    if (child?.pid) killGroup(child.pid, "SIGKILL");
    process.off("exit", onExit);
    await provider.close().catch(() => undefined);
    await rm(state, { recursive: true, force: true }).catch(() => undefined);
  };
  running.add(stop);
  try {
    const envFile = join(state, "dev.vars");
    await writeFile(
      envFile,
      `${Object.entries(opts.secrets ?? DEV_SECRETS)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}='${v}'`)
        .join("\n")}\n`,
      { mode: 0o600 },
    );
    const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" };
    const wrangler = await wranglerBin();
    const persist = join(state, "wrangler");
    const config = await snapshotConfig(wrangler, state, env, log);
    if (opts.migrate !== false)
      await run(
        wrangler,
        ["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to", persist],
        env,
        log,
      );
    const [port, inspector] = [await freePort(), await freePort()];
    const vars = {
      PROVIDER_BASE_URL: provider.url,
      PROVIDER_PROFILE: "openai",
      ALLOW_LOCAL_CALLBACKS: "true",
      ...opts.vars,
    };
    const args = [
      "dev",
      "--config",
      config,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      persist,
    ];
    args.push("--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "warn");
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
    if (stopped) throw new Error("stopped before wrangler dev started");
    const serveArgs = [
      // serve.ts is TypeScript: load it through tsx whether or not this process runs under it
      "--import",
      pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
      join(WORKER_DIR, "scripts/lib/serve.ts"),
      config,
      String(port),
      persist,
      envFile,
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    ];
    child =
      opts.inspector === false
        ? spawn(process.execPath, serveArgs, { cwd: state, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
        : spawn(wrangler, args, { cwd: state, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const lines: string[] = [];
    const collect = (b: Buffer) => {
      for (const line of b.toString().split("\n")) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        log?.(line);
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`wrangler dev exited ${child.exitCode}:\n${lines.slice(-30).join("\n")}`);
      if (Date.now() > deadline)
        throw new Error(
          `wrangler dev did not answer within ${opts.startTimeoutMs ?? 60_000} ms:\n${lines.slice(-30).join("\n")}`,
        );
      try {
        const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
        // a degraded /healthz (schema behind, a bad secret) is the Worker answering too
        const degraded = res.status === 503 && (res.headers.get("content-type") ?? "").includes("json");
        await res.body?.cancel();
        if (res.status < 500 || degraded) break;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    const pid = child.pid ?? 0;
    return {
      provider,
      origin,
      wranglerPid: pid,
      stop,
      async createToken(team = "demo", member = "you") {
        const res = await fetch(`${origin}/admin/tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ team, member }),
        });
        const body = (await res.json()) as { token?: string; error?: { message: string } };
        if (res.status !== 201 || !body.token)
          throw new Error(`POST /admin/tokens answered ${res.status}: ${body.error?.message ?? "no token"}`);
        return body.token;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
