import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";

export const ROOT = join(import.meta.dirname, "../../..");
export const NPM_DIR = join(ROOT, "dist/npm");
export const RELEASE_DIR = join(ROOT, "apps/cli/dist/release");
export const BUN = join(ROOT, "node_modules/.bin/bun");
export const VERSION = (await import("../../../package.json", { with: { type: "json" } })).default.version as string;

export const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** The tarball in dist/npm/ whose name starts with `prefix` and then the version. */
export function tarball(prefix: string): string {
  const name = `${prefix}-${VERSION}.tgz`;
  const path = join(NPM_DIR, name);
  if (!existsSync(path)) throw new Error(`${name} is not in ${NPM_DIR}: ${readdirSync(NPM_DIR).join(", ")}`);
  return path;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a bounded time (default 60 s); resolves whatever the exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (c: ChildProcess) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}

/** `npm install` of local tarballs only: --offline, so nothing may come from a registry. */
export async function npmInstall(args: string[], cwd: string): Promise<void> {
  const r = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", ...args], {
    cwd,
    timeoutMs: 180_000,
  });
  if (r.code !== 0) throw new Error(`npm install ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
}

/** A static file server on 127.0.0.1 over `dir` (GET only, 404 for anything missing). */
export async function serveDir(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** The machine's release target name, as the launcher and install.sh work it out. */
export function hostTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  let musl = false;
  try {
    musl = readdirSync("/lib").some((f) => f.startsWith("ld-musl-"));
  } catch {
    // no /lib
  }
  return `${os}-${process.arch}${musl ? "-musl" : ""}`;
}
