/** Bun's file API: there in the compiled binary, not under Node (where the unit tests run). */
const bun = (globalThis as { Bun?: { file(path: string): { exists(): Promise<boolean>; size: number } } }).Bun;

/**
 * Whether anything is at `path` (what `existsSync` answers), without loading `node:fs` in the
 * binary: importing it costs a start about as much CPU as the rest of a dry-run and starts a
 * JIT thread, and the common case (no config file, no `./.env`) needs nothing else from it.
 * Bun's `exists()` is true for a file; anything else there (a directory, say) has a stat size,
 * and a path with nothing at it has size 0. Under Node, `existsSync`.
 */
export async function present(path: string): Promise<boolean> {
  if (!bun) return process.getBuiltinModule("node:fs").existsSync(path);
  const file = bun.file(path);
  return (await file.exists()) || file.size > 0;
}
