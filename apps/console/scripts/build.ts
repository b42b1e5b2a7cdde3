/**
 * Builds the console into dist/: one minified ES module and one stylesheet, each named by its
 * content hash under dist/assets/, and index.html naming them. The Worker serves dist/ through its
 * `ASSETS` binding (apps/worker/wrangler.jsonc).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 12);

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
const js = await build({
  entryPoints: [join(root, "src/main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "hono/jsx/dom",
  write: false,
  legalComments: "none",
  logLevel: "warning",
});
const script = js.outputFiles[0]?.contents;
if (!script) throw new Error("esbuild produced no output");
const css = await build({
  entryPoints: [join(root, "src/style.css")],
  bundle: true,
  minify: true,
  write: false,
  logLevel: "warning",
});
const style = css.outputFiles[0]?.contents;
if (!style) throw new Error("esbuild produced no stylesheet");
const jsName = `assets/app-${hash(script)}.js`;
const cssName = `assets/app-${hash(style)}.css`;
await writeFile(join(dist, jsName), script);
await writeFile(join(dist, cssName), style);
const html = (await readFile(join(root, "src/index.html"), "utf8"))
  .replace("%SCRIPT%", `/${jsName}`)
  .replace("%STYLE%", `/${cssName}`);
await writeFile(join(dist, "index.html"), html);
