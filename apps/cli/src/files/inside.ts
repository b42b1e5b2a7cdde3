import { lstatSync, realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { fsReason } from "./fs-reason.ts";
import { isInside } from "./naming.ts";

/**
 * Where `p` really leads: its longest existing part with every symlink resolved, then the rest as
 * written. Undefined when a part is a symlink that leads nowhere or in a loop (where a write
 * through it would land cannot be known).
 */
function realPath(p: string): string | undefined {
  const rest: string[] = [];
  let cur = resolve(p);
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return undefined;
    }
    try {
      lstatSync(cur);
      // it exists, yet its real path does not: a dangling symlink
      return undefined;
    } catch {
      // not there yet: what it becomes is decided by its parent
    }
    const parent = dirname(cur);
    if (parent === cur) return undefined;
    rest.unshift(basename(cur));
    cur = parent;
  }
}

/**
 * `out` resolved against `dir` when it stays inside `dir`: no `..` out of it, no absolute path
 * elsewhere, no symlink in its existing part that leads out. Undefined otherwise. The output
 * directory itself counts as inside.
 * @example
 * resolveInside("/imgs", "cats/a.png") // "/imgs/cats/a.png"
 * resolveInside("/imgs", "../a.png")   // undefined
 */
export function resolveInside(dir: string, out: string): string | undefined {
  const base = resolve(dir);
  const target = resolve(base, out);
  if (!isInside(base, target)) return undefined;
  const realBase = realPath(base);
  const realTarget = realPath(target);
  return realBase !== undefined && realTarget !== undefined && isInside(realBase, realTarget) ? target : undefined;
}

/**
 * Where the existing directory `dir` really is, checked at the moment of a write to stay inside
 * `within`: a directory swapped for a symlink since `out` was checked ({@link resolveInside})
 * is refused, not written through. Writing under the returned path (no symlink left in it)
 * keeps the write where the check looked.
 * @example
 * await realDirInside("/imgs/cats", "/imgs") // "/imgs/cats"; throws when cats now leads elsewhere
 */
export async function realDirInside(dir: string, within: string): Promise<string> {
  let real: string;
  let realWithin: string;
  try {
    [real, realWithin] = await Promise.all([realpath(dir), realpath(within)]);
  } catch (e) {
    throw new CliError("io", `output directory ${dir}: ${fsReason(e)}`, { exitCode: EXIT.usage });
  }
  if (!isInside(realWithin, real)) {
    throw new CliError(
      "io",
      `output directory ${dir} now leads to ${real}, outside the output directory ${within} (a symbolic link put there since out was checked); nothing was written there`,
      { exitCode: EXIT.usage },
    );
  }
  return real;
}
