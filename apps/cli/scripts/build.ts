/**
 * Builds the single `gptimg` binary for this machine: `bun build --compile --minify`, the
 * version baked in with `--define`, and no automatic `.env` / `bunfig.toml` loading (the CLI
 * reads `.env` itself, below flags and the environment).
 * Usage: bun scripts/build.ts [--target linux-x64] [--outfile dist/gptimg]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(import.meta.dirname, "..");
/** The repository's version: the root package.json is the one place it is written. */
export const version = (JSON.parse(readFileSync(join(root, "../../package.json"), "utf8")) as { version: string })
  .version;

/** The commit being built: `git rev-parse --short=12 HEAD`, "-dirty" with uncommitted changes, or "unknown". */
export function commit(): string {
  const head = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? "-dirty" : ""}`;
}

/** This machine's release target name (linux-x64, linux-x64-musl, darwin-arm64, windows-x64, ...). */
export function hostTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}${isMusl() ? "-musl" : ""}`;
}

/** Linux with musl libc (Alpine and the like): its dynamic loader is /lib/ld-musl-<arch>.so.1. */
export function isMusl(): boolean {
  if (process.platform !== "linux") return false;
  try {
    return readdirSync("/lib").some((f) => f.startsWith("ld-musl-"));
  } catch {
    return false;
  }
}

/** The compile flags every gptimg binary is built with (also the benchmark's hello world). */
export const compileFlags = [
  "--compile",
  // ESM with code splitting: each command's modules are their own chunk, loaded by the
  // entry's import() only when that command runs; one CommonJS bundle would make every start
  // (even --version) load all of it and start JavaScriptCore's JIT threads.
  "--format=esm",
  "--splitting",
  "--minify",
  "--bytecode",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
];

/**
 * Arguments for one compile; shared with scripts/release.ts. `target` is a release target name
 * (linux-x64, windows-x64, ...): the Bun target is `bun-<target>`; none builds for this machine.
 */
export function compileArgs(outfile: string, target?: string, sha = commit()): string[] {
  return [
    "build",
    ...compileFlags,
    ...(target ? [`--target=bun-${target}`] : []),
    `--define=GPTIMG_VERSION=${JSON.stringify(version)}`,
    `--define=GPTIMG_COMMIT=${JSON.stringify(sha)}`,
    `--define=GPTIMG_TARGET=${JSON.stringify(target ?? hostTarget())}`,
    join(root, "src/main.ts"),
    "--outfile",
    outfile,
  ];
}

/** Runs `bun build`; throws with bun's output on failure. */
export function compile(outfile: string, target?: string, sha?: string): void {
  mkdirSync(dirname(outfile), { recursive: true });
  const res = spawnSync(process.execPath, compileArgs(outfile, target, sha), { cwd: root, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`bun build failed for ${target ?? "host"}:\n${res.stdout}${res.stderr}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const at = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const outfile = join(root, at("--outfile") ?? "dist/gptimg");
  const started = performance.now();
  compile(outfile, at("--target"));
  console.error(`built ${outfile} (${version}) in ${Math.round(performance.now() - started)} ms`);
}
