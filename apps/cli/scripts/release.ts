/**
 * Cross-compiles `gptimg` for every supported platform into dist/release/ and writes
 * SHA256SUMS (sha256sum format, checkable with `sha256sum -c`). Each target's Bun runtime is
 * fetched from the npm registry on first use and cached under ~/.bun/install/cache.
 * Usage: bun scripts/release.ts [--only linux-x64,darwin-arm64]
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "./build.ts";

const root = join(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

/** Release name suffix → Bun compile target. */
export const TARGETS: Record<string, string> = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
};

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

const onlyAt = process.argv.indexOf("--only");
const only = onlyAt === -1 ? undefined : new Set((process.argv[onlyAt + 1] ?? "").split(","));
const outDir = join(root, "dist/release");
rmSync(outDir, { recursive: true, force: true });
const sums: string[] = [];
for (const [name, target] of Object.entries(TARGETS)) {
  if (only && !only.has(name)) continue;
  const file = `gptimg-${version}-${name}${name.startsWith("windows") ? ".exe" : ""}`;
  const started = performance.now();
  compile(join(outDir, file), target);
  const mb = (statSync(join(outDir, file)).size / 1048576).toFixed(1);
  console.error(`${file}: ${mb} MB in ${Math.round(performance.now() - started)} ms`);
  sums.push(`${sha256(join(outDir, file))}  ${file}`);
}
writeFileSync(join(outDir, "SHA256SUMS"), `${sums.join("\n")}\n`);
console.error(`wrote ${join(outDir, "SHA256SUMS")} (${sums.length} files)`);
