/** The part of Bun's file API `present` reads: no thread, no `node:fs`. */
export interface BunFiles {
  file(path: string): { exists(): Promise<boolean>; size: number; lastModified: number };
}

/** Bun's file API: there in the compiled binary, not under Node (where the unit tests run). */
const BUN = (globalThis as { Bun?: BunFiles }).Bun;

/** Bun's `lastModified` for a path whose stat failed (nothing there): no time was set, 2^52 - 1 ms. */
const NO_TIME = 2 ** 52 - 1;

/**
 * Whether anything is at `path` (what `existsSync` answers), without loading `node:fs` in the
 * binary: importing it costs a start about as much CPU as the rest of a dry-run and starts a
 * JIT thread, and the common case (no config file, no `./.env`) needs nothing else from it.
 * Bun's `exists()` is true for a file only. Anything else there (a directory, a device) was
 * found by Bun's stat, so it has a modification time, which a path with nothing at it lacks; its
 * size alone is no sign, since an empty directory's is 0 on btrfs and others. Under Node,
 * `existsSync`. `bun` is Bun's API, passed in by tests.
 */
export async function present(path: string, bun: BunFiles | undefined = BUN): Promise<boolean> {
  if (!bun) return process.getBuiltinModule("node:fs").existsSync(path);
  const file = bun.file(path);
  if (await file.exists()) return true;
  const t = file.lastModified;
  return file.size > 0 || (Number.isFinite(t) && t > 0 && t < NO_TIME);
}
