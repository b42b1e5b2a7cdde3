/**
 * Builds the single `gptimg` binary for this machine: `bun build --compile --minify`, the
 * version baked in with `--define`, and no automatic `.env` / `bunfig.toml` loading (the CLI
 * reads `.env` itself, below flags and the environment).
 * Usage: bun scripts/build.ts [--target bun-linux-x64] [--outfile dist/gptimg]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

/** Arguments for one compile; shared with scripts/release.ts. */
export function compileArgs(outfile: string, target?: string): string[] {
  return [
    "build",
    "--compile",
    "--minify",
    "--bytecode",
    ...(target ? [`--target=${target}`] : []),
    `--define=GPTIMG_VERSION=${JSON.stringify(pkg.version)}`,
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    join(root, "src/main.ts"),
    "--outfile",
    outfile,
  ];
}

/** Runs `bun build`; throws with bun's output on failure. */
export function compile(outfile: string, target?: string): void {
  mkdirSync(dirname(outfile), { recursive: true });
  const res = spawnSync(process.execPath, compileArgs(outfile, target), { cwd: root, encoding: "utf8" });
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
  console.error(`built ${outfile} (${pkg.version}) in ${Math.round(performance.now() - started)} ms`);
}
