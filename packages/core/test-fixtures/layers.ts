/**
 * The check behind each app's `layers.test.ts`: no file under `src/` imports from a layer above
 * its own. Pure (sources in, violations out), so the Worker's tests run it inside workerd and the
 * CLI's in Node, each reading its sources with Vite's `import.meta.glob`.
 */

/** A layer of an app: a name and the paths under `src/` it holds (`"lib/"` a folder, `"env.ts"` a file). */
export interface Layer {
  name: string;
  paths: string[];
}

/** Relative import specifiers of a source: static imports and exports, side-effect and dynamic imports. */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^;]*?\sfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1] as string);
  return out;
}

/** `from` joined with the relative `spec`, normalised; null when it leaves the root. */
function resolve(from: string, spec: string): string | null {
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.replace(/\?.*$/, "").split("/")) {
    if (p === "..") {
      if (!parts.length) return null;
      parts.pop();
    } else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/**
 * Every import of `files` (paths relative to `src/`, e.g. `jobs/create.ts`, mapped to their
 * text) that goes to a layer above the importing file's, and every file that is in no layer.
 * `layers` runs from the bottom up; test files (`*.test.ts`) are skipped: a test may drive the
 * whole app.
 * @example
 * layerViolations({ "lib/a.ts": 'import { x } from "../jobs/b.ts";' }, [{ name: "lib", paths: ["lib/"] }, { name: "jobs", paths: ["jobs/"] }])
 * // ["lib/a.ts imports jobs/b.ts: jobs is above lib"]
 */
export function layerViolations(files: Record<string, string>, layers: Layer[]): string[] {
  const layerOf = (path: string): number => {
    let best = -1;
    let bestLength = -1;
    layers.forEach((layer, i) => {
      for (const p of layer.paths) {
        const hit = p.endsWith("/") ? path.startsWith(p) : path === p;
        if (hit && p.length > bestLength) [best, bestLength] = [i, p.length];
      }
    });
    return best;
  };
  const out: string[] = [];
  for (const [path, source] of Object.entries(files)) {
    if (path.endsWith(".test.ts") || path.endsWith(".d.ts")) continue;
    const own = layerOf(path);
    if (own < 0) {
      out.push(`${path}: in no layer (add its folder to a layer)`);
      continue;
    }
    for (const spec of relativeImports(source)) {
      const target = resolve(path, spec);
      if (target === null) continue; // outside src/, e.g. package.json
      const theirs = layerOf(target);
      if (theirs > own) out.push(`${path} imports ${target}: ${layers[theirs]?.name} is above ${layers[own]?.name}`);
    }
  }
  return out;
}

/** `import.meta.glob` keys (`./jobs/create.ts`) as paths under `src/` (`jobs/create.ts`). */
export const underSrc = (glob: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(glob).map(([k, v]) => [k.replace(/^\.\//, ""), v]));
