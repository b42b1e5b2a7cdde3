/**
 * Core names a bad option by its wire field (`output_format`), the name the API reference
 * uses; a person at the terminal typed a flag (`--format`), so the CLI names that instead.
 */
const FLAG_OF: Record<string, string> = {
  model: "--model",
  n: "--n",
  size: "--size",
  quality: "--quality",
  output_format: "--format",
  output_compression: "--compression",
  background: "--background",
  moderation: "--moderation",
  input_fidelity: "--input-fidelity",
  partial_images: "--partial-images",
  stream: "--stream",
  user: "--user",
  mask: "--mask",
};

/** The flag for a validation field; `extra_body.k` → `--extra k`; other fields unchanged. */
export function flagForField(field: string): string {
  const flag = FLAG_OF[field];
  if (flag) return flag;
  if (field.startsWith("extra_body.")) return `--extra ${field.slice("extra_body.".length)}`;
  if (field === "extra_body") return "--extra-json";
  return field;
}
