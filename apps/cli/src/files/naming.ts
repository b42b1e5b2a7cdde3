import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** `20261122-031500` in local time: what a person sorting their folder expects. */
export function timestamp(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/**
 * A file-name-safe slug of the prompt: letters and digits of any script, runs of anything else
 * become one `-`, at most 48 characters. Empty → `image`.
 */
export function slug(prompt: string, max = 48): string {
  const s = prompt
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
  const cut = [...s].slice(0, max).join("").replace(/-+$/, "");
  return cut || "image";
}

/**
 * Makes one path component safe on every platform: no separators, control or reserved
 * characters, no leading dots (no hidden files, no `..`), at most 120 characters.
 */
export function sanitizeComponent(name: string): string {
  const cleaned = name
    .normalize("NFKC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we remove
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, "-")
    .replace(/^[.\s-]+/, "")
    .replace(/[.\s]+$/, "");
  return [...cleaned].slice(0, 120).join("") || "image";
}

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg", ".webp", ".gif"]);

/** Whether `out` names an image file by its extension (`cat.png`), not a directory or a bare name. */
export const hasImageExtension = (out: string): boolean => IMAGE_EXT.has(extname(out).toLowerCase());

/** Where images go: a directory and a stem; the extension comes later from the real bytes. */
export interface OutputPlan {
  dir: string;
  stem: string;
  /** the extension the user typed (kept when it matches the real format: jpeg vs jpg) */
  typedExt: string | undefined;
  n: number;
  /**
   * the stem was made up (timestamp and slug), so it may take a `_2`, `_3` counter on collision
   * (`_`, which a slug never contains, so it cannot be mistaken for the `-1`, `-2` of n > 1)
   */
  auto: boolean;
  /** for an automatic stem taken already: 2, 3… appended to it */
  counter?: number;
  /** the directory `dir` must still lead inside as each file is written (an MCP call's or a batch line's `out`) */
  within?: string;
}

/**
 * Plans output names. `-o DIR/` (or an existing directory, decided by the caller) → a
 * timestamp-and-slug name inside it; `-o FILE` → that name; none → the working directory.
 */
export function planOutput(opts: {
  out: string | undefined;
  outIsDir: boolean;
  cwd: string;
  prompt: string;
  now: Date;
  n: number;
  within?: string | undefined;
}): OutputPlan {
  const auto = `gptimg-${timestamp(opts.now)}-${slug(opts.prompt)}`;
  const { within } = opts;
  if (opts.out === undefined || opts.out === "")
    return { dir: opts.cwd, stem: auto, typedExt: undefined, n: opts.n, auto: true, within };
  const full = resolve(opts.cwd, opts.out);
  if (opts.outIsDir || /[/\\]$/.test(opts.out))
    return { dir: full, stem: auto, typedExt: undefined, n: opts.n, auto: true, within };
  const name = sanitizeComponent(basename(full));
  const ext = extname(name).toLowerCase();
  const typedExt = IMAGE_EXT.has(ext) ? ext : undefined;
  return {
    dir: dirname(full),
    stem: typedExt ? name.slice(0, -ext.length) || "image" : name,
    typedExt,
    n: opts.n,
    auto: false,
    within,
  };
}

/** The file name of image `i` (0-based) in format `ext` (png, jpg, webp, gif). */
export function fileName(plan: OutputPlan, i: number, ext: string): string {
  const stem = plan.counter !== undefined && plan.counter > 1 ? `${plan.stem}_${plan.counter}` : plan.stem;
  const suffix = plan.n > 1 ? `-${i + 1}` : "";
  const typed = plan.typedExt?.slice(1);
  const same = typed === ext || (typed === "jpeg" && ext === "jpg");
  return `${stem}${suffix}.${same && typed ? typed : ext}`;
}

/** True when `child` is `dir` itself or inside it (after resolving `..`). */
export function isInside(dir: string, child: string): boolean {
  const rel = relative(resolve(dir), resolve(child));
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
