import { lstatSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { fsReason } from "./fs-reason.ts";
import { isInside } from "./naming.ts";

/**
 * Where `p` really leads: its longest existing part with every symlink resolved, then the rest as
 * written. Undefined when a part is a symlink that leads nowhere or in a loop (where a write
 * through it would land cannot be known). With `whole`, all of `p` must exist: why it does not
 * (or cannot be resolved) is thrown.
 */
function realPath(p: string, whole = false): string | undefined {
  const rest: string[] = [];
  let cur = resolve(p);
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest);
    } catch (e) {
      if (whole) throw e;
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
 * Where `p` really leads, and whether that is inside where `root` really leads: the one test
 * behind both the check of `out` before anything is sent ({@link resolveInside}) and the check
 * at each write ({@link realDirInside}). `real` is undefined when `p` leads nowhere; `whole` as
 * for {@link realPath}, for both paths.
 */
function realInside(root: string, p: string, whole = false): { real: string | undefined; inside: boolean } {
  const realRoot = realPath(root, whole);
  const real = realPath(p, whole);
  return { real, inside: realRoot !== undefined && real !== undefined && isInside(realRoot, real) };
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
  return isInside(base, target) && realInside(base, target).inside ? target : undefined;
}

/**
 * Where the existing directory `dir` really is, checked at the moment of a write to stay inside
 * `within`: a directory swapped for a symlink since `out` was checked ({@link resolveInside})
 * is refused, not written through. Writing under the returned path (no symlink left in it)
 * keeps the write where the check looked.
 * @example
 * realDirInside("/imgs/cats", "/imgs") // "/imgs/cats"; throws when cats now leads elsewhere
 */
export function realDirInside(dir: string, within: string): string {
  let judged: ReturnType<typeof realInside>;
  try {
    // the directory written into must be there as a whole, not just its parent
    judged = realInside(within, dir, true);
  } catch (e) {
    throw new CliError("io", `output directory ${dir}: ${fsReason(e)}`, { exitCode: EXIT.usage });
  }
  if (!judged.inside || judged.real === undefined) {
    throw new CliError(
      "io",
      `output directory ${dir} now leads to ${judged.real}, outside the output directory ${within} (a symbolic link put there since out was checked); nothing was written there`,
      { exitCode: EXIT.usage },
    );
  }
  return judged.real;
}
