/**
 * Temp files on disk that are not yet renamed into place. Kept apart from the writer so the
 * entry point can clean up on Ctrl-C without loading it.
 */
import { unlinkSync } from "node:fs";

/** Paths of temp files being written. */
export const pending = new Set<string>();

/**
 * Removes every temp file not yet renamed into place, synchronously: it runs just before the
 * process exits on Ctrl-C, when a write may still be in flight.
 */
export function removePendingSync(): void {
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      // already gone, or never created
    }
  }
  pending.clear();
}
