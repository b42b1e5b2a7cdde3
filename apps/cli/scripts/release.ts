/**
 * Cross-compiles `gptimg` for every supported platform into dist/release/ and writes
 * SHA256SUMS (sha256sum format, checkable with `sha256sum -c`). Each target's Bun runtime is
 * fetched from the npm registry on first use and cached under ~/.bun/install/cache.
 * Usage: bun scripts/release.ts [--only linux-x64,darwin-arm64 | --host]
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { commit, compile, hostTarget, version } from "./build.ts";

const root = join(import.meta.dirname, "..");

/** Release target names (file suffix, `bun-<name>` compile target) → the npm platform package's name suffix and its os/cpu/libc. */
export const TARGETS: Record<string, { npm: string; os: string; cpu: string; libc?: string }> = {
  "linux-x64": { npm: "linux-x64", os: "linux", cpu: "x64", libc: "glibc" },
  "linux-arm64": { npm: "linux-arm64", os: "linux", cpu: "arm64", libc: "glibc" },
  "linux-x64-musl": { npm: "linux-x64-musl", os: "linux", cpu: "x64", libc: "musl" },
  "linux-arm64-musl": { npm: "linux-arm64-musl", os: "linux", cpu: "arm64", libc: "musl" },
  "darwin-x64": { npm: "darwin-x64", os: "darwin", cpu: "x64" },
  "darwin-arm64": { npm: "darwin-arm64", os: "darwin", cpu: "arm64" },
  "windows-x64": { npm: "win32-x64", os: "win32", cpu: "x64" },
};

/** The released file name of one target's binary. */
export const binaryName = (target: string): string =>
  `gptimg-${version}-${target}${target.startsWith("windows") ? ".exe" : ""}`;

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Builds the given targets into `outDir` (emptied first) and writes SHA256SUMS; returns the file names. */
export function buildRelease(targets: string[], outDir = join(root, "dist/release")): string[] {
  for (const t of targets)
    if (!TARGETS[t]) throw new Error(`unknown target ${JSON.stringify(t)}; known: ${Object.keys(TARGETS).join(", ")}`);
  rmSync(outDir, { recursive: true, force: true });
  const sha = commit();
  const sums: string[] = [];
  const files: string[] = [];
  for (const target of targets) {
    const file = binaryName(target);
    const started = performance.now();
    compile(join(outDir, file), target, sha);
    const mb = (statSync(join(outDir, file)).size / 1048576).toFixed(1);
    console.error(`${file}: ${mb} MB in ${Math.round(performance.now() - started)} ms`);
    sums.push(`${sha256(join(outDir, file))}  ${file}`);
    files.push(file);
  }
  writeFileSync(join(outDir, "SHA256SUMS"), `${sums.join("\n")}\n`);
  console.error(`wrote ${join(outDir, "SHA256SUMS")} (${sums.length} files)`);
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf("--only");
  const targets = argv.includes("--host")
    ? [hostTarget()]
    : onlyAt === -1
      ? Object.keys(TARGETS)
      : (argv[onlyAt + 1] ?? "").split(",").filter(Boolean);
  buildRelease(targets);
}
