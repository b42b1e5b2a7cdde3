/**
 * Secrets this process knows (keys, tokens). Everything written to stdout or stderr passes
 * through `scrub`, so a key can leak neither through a provider's echo nor through a bug.
 */
const known = new Set<string>();

/** Remembers a secret; short values are ignored (they would mangle ordinary text). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** Every registered secret, for core's `redact` and `describeRequest`. */
export const secrets = (): string[] => [...known];

/** Replaces every registered secret in `text`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join("***redacted***");
  return out;
}
