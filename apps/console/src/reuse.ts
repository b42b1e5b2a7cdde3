/** Settings handed from History ("reuse settings") or a result ("again") to Generate or Edit. */
import type { Settings } from "./run.ts";

let pending: { page: "generate" | "edit"; settings: Partial<Settings> } | null = null;

/** Opens `page` with these settings filled in. */
export function reuse(page: "generate" | "edit", settings: Partial<Settings>): void {
  pending = { page, settings };
  location.hash = `#/${page}`;
}

/** The settings waiting for `page`, once. */
export function takeReuse(page: "generate" | "edit"): Partial<Settings> | null {
  if (pending?.page !== page) return null;
  const s = pending.settings;
  pending = null;
  return s;
}
