/**
 * Temp files on disk that are not yet renamed into place. Kept apart from the writer so the
 * entry point can clean up on Ctrl-C without loading it.
 */
/** Paths of temp files being written. */
export const pending = new Set<string>();

/**
 * Removes every temp file not yet renamed into place, synchronously: it runs just before the
 * process exits on Ctrl-C, when a write may still be in flight.
 */
export function removePendingSync(): void {
  if (pending.size === 0) return;
  // node:fs is fetched here, not imported: importing it costs every start-up (even --version)
  // a JIT thread, and the entry point imports this module.
  const { unlinkSync } = process.getBuiltinModule("node:fs");
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      // already gone, or never created
    }
  }
  pending.clear();
}
