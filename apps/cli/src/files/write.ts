import { access, constants, link, lstat, mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { fsReason } from "./fs-reason.ts";
import { realDirInside } from "./inside.ts";
import { hasImageExtension, isInside, sanitizeComponent } from "./naming.ts";
import { pending } from "./pending.ts";
import { randomHex } from "./random-hex.ts";

/** The output file is there already and `--force` was not given. */
export class OutputExistsError extends CliError {
  constructor(
    readonly target: string,
    what = "exists",
  ) {
    super("io", `${target} ${what}; pass --force to overwrite or choose another -o`, { exitCode: EXIT.usage });
  }
}

/**
 * Creates `dir` if needed and proves it is writable by creating and removing a temp file, so a
 * bad output directory fails before anything is sent (and billed).
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const st = await stat(dir);
    if (!st.isDirectory()) throw new Error("not a directory");
    await access(dir, constants.W_OK);
    const probe = join(dir, `.gptimg-probe-${randomHex(6)}`);
    const fh = await open(probe, "wx", 0o644);
    await fh.close();
    await unlink(probe);
  } catch (e) {
    const file = await fileInTheWay(dir);
    const why = file
      ? `${file === dir ? "it" : file} is a file, not a directory; choose another -o`
      : `not writable (${fsReason(e as NodeJS.ErrnoException)})`;
    throw new CliError("io", `output directory ${dir}: ${why}`, { exitCode: EXIT.usage });
  }
}

/** `dir` or its nearest existing ancestor when that is not a directory (a file where a directory must be). */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st) return st.isDirectory() ? undefined : p;
    if (dirname(p) === p) return undefined;
  }
}

/** A new file only: never one that is there already, never through a symbolic link at its name. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes `bytes` to `dir/name` atomically: a temp file in the same directory, then a hard link
 * (which fails if the target exists: `wx` semantics without a race) or, with `force`, a rename.
 * The name is sanitized again and must stay inside `dir`. With `within`, `dir` must still lead
 * inside it as the file is written: its real path is taken right before the write and checked
 * again before the file takes its name, and the file is written under that real path, so a
 * directory swapped for a symlink since `out` was checked is refused, not written through.
 */
export async function writeAtomic(
  dir: string,
  name: string,
  bytes: Uint8Array,
  opts: { force: boolean; within?: string },
): Promise<string> {
  const safe = sanitizeComponent(name);
  if (!isInside(dir, join(dir, safe)))
    throw new CliError("io", `output ${name}: escapes ${dir}`, { exitCode: EXIT.usage });
  const within = opts.within;
  const base = within === undefined ? dir : realDirInside(dir, within);
  const target = join(base, safe);
  const tmp = join(base, `.${safe}.${randomHex(6)}.tmp`);
  pending.add(tmp);
  try {
    const fh = await open(tmp, CREATE_NEW, 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // the directory swapped meanwhile: the temp file went elsewhere and takes no name there
    if (within !== undefined && realDirInside(base, within) !== base) {
      throw new CliError("io", `output directory ${dir} moved while ${safe} was written; nothing was written there`, {
        exitCode: EXIT.usage,
      });
    }
    if (opts.force) await rename(tmp, target);
    else await linkNoClobber(tmp, target);
    return join(dir, safe);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new CliError("io", `cannot write ${target}: ${fsReason(err)}`, { exitCode: EXIT.usage });
  } finally {
    pending.delete(tmp);
    await unlink(tmp).catch(() => undefined);
  }
}

async function linkNoClobber(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new OutputExistsError(target);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV" && code !== "ENOSYS") throw e;
    // Filesystems without hard links: check, then rename (a small race, never a silent clobber of an old file).
    const exists = await lstat(target).then(
      () => true,
      () => false,
    );
    if (exists) throw new OutputExistsError(target);
    await rename(tmp, target);
  }
}

/**
 * True when something is at `target`, checked without following links: a symbolic link counts
 * even when it points nowhere, since writing "through" it would fail only after the image was paid for.
 */
export const exists = (target: string): Promise<boolean> =>
  lstat(target).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== "ENOENT" && e.code !== "ENOTDIR",
  );

/**
 * Whether `-o`/`--output` names a directory: one that exists, or, for several images, a path
 * without an image extension that does not exist yet (`--output out -n 4` → out/…-1.png…).
 * Otherwise it is a file name (a trailing `/` is a directory, decided by the naming).
 */
export async function outputIsDirectory(path: string, out: string, n: number): Promise<boolean> {
  if (await isDirectory(path)) return true;
  return n > 1 && !hasImageExtension(out) && !(await exists(path));
}

/** Whether `path` is an existing directory (`-o DIR` without a trailing slash). */
export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
