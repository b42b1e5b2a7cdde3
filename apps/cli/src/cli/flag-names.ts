import { flagsByWire } from "./core-tables.ts" with { type: "macro" };

/**
 * Core names a bad option by its wire field (`output_format`), the name the API reference
 * uses; a person at the terminal typed a flag (`--format`), so the CLI names that instead.
 */
const FLAG_OF: Record<string, string> = flagsByWire();

/** The flag for a validation field; `extra_body.k` → `--extra k`; other fields unchanged. */
export function flagForField(field: string): string {
  const flag = FLAG_OF[field];
  if (flag) return flag;
  if (field.startsWith("extra_body.")) return `--extra ${field.slice("extra_body.".length)}`;
  if (field === "extra_body") return "--extra-json";
  return field;
}
