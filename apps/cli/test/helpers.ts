import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export const ROOT = join(import.meta.dirname, "..");
export const BIN = join(ROOT, "dist/gptimg");
export const BUN = join(ROOT, "../../node_modules/.bin/bun");
/** The key every test uses; it must never show up in any output or file but the 0600 config. */
export const CANARY = "sk-canary-do-not-leak-cli";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** run `bun src/main.ts` instead of the compiled binary */
  source?: boolean;
  /** called with the child once spawned (for signals) */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** The temp directories this test file made, removed once its tests are done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test file's last test. */
export function tmp(prefix = "gptimg-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * Runs the CLI with a clean environment: HOME and XDG_CONFIG_HOME in a temp dir, no inherited
 * GPTIMG_* or provider keys. Bounded by `timeoutMs` (default 25 s).
 */
export function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const home = opts.env?.HOME ?? tmp("gptimg-home-");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const [cmd, argv] = opts.source ? [BUN, [join(ROOT, "src/main.ts"), ...args]] : [BIN, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? home, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 25_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dir` (other than `except`) whose bytes contain `secret`. */
export function filesContaining(dir: string, secret: string, except: string[] = []): string[] {
  return filesUnder(dir).filter((f) => !except.includes(f) && readFileSync(f).includes(secret));
}

/** Permission bits of a path. */
export const mode = (p: string): number => statSync(p).mode & 0o777;

/** Parses the single JSON envelope on stdout. */
// biome-ignore lint/suspicious/noExplicitAny: envelopes are checked field by field in tests
export function envelope(r: RunResult): Record<string, any> {
  const lines = r.stdout.trim().split("\n");
  if (lines.length !== 1) throw new Error(`expected one stdout line, got ${lines.length}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(lines[0]!);
}

/**
 * A loopback proxy to `upstream` (the offline provider) that holds every request until `hold` have arrived,
 * then runs `held` and forwards them all: calls that race on one name have all passed their
 * name check by then, and `held` changes the disk between a call's checks and its save.
 */
export async function gate(
  upstream: string,
  hold: number,
  held?: () => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const waiting: (() => Promise<void>)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      waiting.push(async () => {
        const up = await fetch(`${upstream}${(req.url ?? "").replace(/^\/v1/, "")}`, {
          method: req.method,
          headers: {
            authorization: req.headers.authorization ?? "",
            "content-type": req.headers["content-type"] ?? "",
          },
          body: Buffer.concat(chunks),
        });
        res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
        res.end(Buffer.from(await up.arrayBuffer()));
      });
      if (waiting.length !== hold) return;
      held?.();
      for (const forward of waiting) void forward();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
