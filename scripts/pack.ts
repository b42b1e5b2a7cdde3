/**
 * Writes every publishable npm tarball into dist/npm/:
 *   gptimg-<v>.tgz                    the launcher (apps/cli/npm/gptimg), one optional dependency per platform
 *   gptimg-cli-<platform>-<v>.tgz     one per binary built (this machine's by default)
 *   gptimg-core-<v>.tgz               the library, compiled to ESM + .d.ts (packages/core)
 * and the release files into apps/cli/dist/release/ (binaries and SHA256SUMS, plus the skill's
 * zip when skills/gptimg/ exists). The version of every package is the root package.json's.
 *
 * Usage: bun scripts/pack.ts [--all | --targets linux-x64,darwin-arm64] [--no-build]
 *   --all        every release target (cross-compiled; each Bun runtime comes from the npm registry)
 *   --no-build   reuse the binaries already in apps/cli/dist/release/
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostTarget, version } from "../apps/cli/scripts/build.ts";
import { binaryName, buildRelease, TARGETS } from "../apps/cli/scripts/release.ts";

const root = join(import.meta.dirname, "..");
const out = join(root, "dist/npm");
const stage = join(root, "dist/npm-stage");
const release = join(root, "apps/cli/dist/release");
const repository = { type: "git", url: "git+https://github.com/gptimg/gptimg.git" };

function run(cmd: string, args: string[], cwd = root): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8"));
const writeJson = (path: string, value: unknown): void => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** Packs a staged folder into dist/npm/; returns the tarball's file name. */
function pack(dir: string): string {
  const [info] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", out], dir)) as { filename: string }[];
  return info!.filename;
}

const argv = process.argv.slice(2);
const at = argv.indexOf("--targets");
const targets = argv.includes("--all")
  ? Object.keys(TARGETS)
  : at !== -1
    ? (argv[at + 1] ?? "").split(",").filter(Boolean)
    : [hostTarget()];
for (const t of targets)
  if (!TARGETS[t]) throw new Error(`unknown target ${JSON.stringify(t)}; known: ${Object.keys(TARGETS).join(", ")}`);

rmSync(out, { recursive: true, force: true });
rmSync(stage, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const license = join(root, "LICENSE");
const made: string[] = [];

// 1. The CLI binaries and SHA256SUMS (the release files), then one npm package per binary.
if (!argv.includes("--no-build")) buildRelease(targets, release);
for (const target of targets) {
  const t = TARGETS[target]!;
  const dir = join(stage, `cli-${t.npm}`);
  const exe = t.os === "win32" ? "gptimg.exe" : "gptimg";
  const from = join(release, binaryName(target));
  if (!existsSync(from)) throw new Error(`${from} is missing: build it first (without --no-build)`);
  mkdirSync(join(dir, "bin"), { recursive: true });
  copyFileSync(from, join(dir, "bin", exe));
  chmodSync(join(dir, "bin", exe), 0o755);
  copyFileSync(license, join(dir, "LICENSE"));
  writeFileSync(
    join(dir, "README.md"),
    `# @gptimg/cli-${t.npm}\n\nThe \`gptimg\` binary for ${target}. Install \`gptimg\` instead: its launcher picks this package on ${target}.\n`,
  );
  writeJson(join(dir, "package.json"), {
    name: `@gptimg/cli-${t.npm}`,
    version,
    description: `The gptimg binary for ${target}`,
    license: "MIT",
    repository,
    os: [t.os],
    cpu: [t.cpu],
    ...(t.libc ? { libc: [t.libc] } : {}),
    files: [`bin/${exe}`, "README.md", "LICENSE"],
    preferUnplugged: true,
  });
  made.push(pack(dir));
}

// 2. The launcher, depending on every platform package at exactly this version.
{
  const dir = join(stage, "gptimg");
  cpSync(join(root, "apps/cli/npm/gptimg"), dir, { recursive: true });
  copyFileSync(license, join(dir, "LICENSE"));
  const manifest = json(join(dir, "package.json"));
  manifest.version = version;
  manifest.optionalDependencies = Object.fromEntries(
    Object.values(TARGETS).map((t) => [`@gptimg/cli-${t.npm}`, version]),
  );
  writeJson(join(dir, "package.json"), manifest);
  made.push(pack(dir));
}

// 3. The library: compiled ESM + declarations; the workspace keeps consuming the TypeScript source.
{
  const src = join(root, "packages/core");
  rmSync(join(src, "dist"), { recursive: true, force: true });
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], src);
  const dir = join(stage, "core");
  cpSync(join(src, "dist"), join(dir, "dist"), { recursive: true });
  copyFileSync(join(src, "README.md"), join(dir, "README.md"));
  copyFileSync(license, join(dir, "LICENSE"));
  const ws = json(join(src, "package.json"));
  if (Object.keys((ws.dependencies as object | undefined) ?? {}).length > 0) {
    throw new Error("@gptimg/core must have no runtime dependencies");
  }
  writeJson(join(dir, "package.json"), {
    name: ws.name,
    version,
    description:
      "Image generation and editing with gpt-image-2 and any OpenAI-compatible image API, on web-platform APIs only",
    license: "MIT",
    repository: { ...repository, directory: "packages/core" },
    homepage: "https://github.com/gptimg/gptimg/tree/main/packages/core#readme",
    keywords: ["gpt-image-2", "openai", "image-generation", "cloudflare-workers", "browser"],
    type: "module",
    sideEffects: false,
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./package.json": "./package.json",
    },
    files: ["dist", "README.md", "LICENSE"],
    engines: { node: ">=20" },
  });
  made.push(pack(dir));
}

// 4. The skill, zipped for the release (when the repository has it).
const skill = join(root, "skills/gptimg");
if (existsSync(skill)) {
  const zip = join(release, `gptimg-skill-${version}.zip`);
  rmSync(zip, { force: true });
  run("zip", ["-qr", "-X", zip, "gptimg"], join(root, "skills"));
  const sum = createHash("sha256").update(readFileSync(zip)).digest("hex");
  writeFileSync(join(release, "SHA256SUMS"), `${sum}  gptimg-skill-${version}.zip\n`, { flag: "a" });
  console.error(`wrote ${zip}`);
}

rmSync(stage, { recursive: true, force: true });
for (const f of made) console.error(`wrote dist/npm/${f}`);
