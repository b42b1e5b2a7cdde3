// core's redaction alone: this module is loaded at start-up, before any command needs the rest of core
import { redact } from "@gptimg/core/redact";

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

/**
 * `text` through core's `redact`: every registered secret (also URL-encoded or JSON-escaped),
 * every `Bearer …` credential and every `sk-…` key becomes `***redacted***`.
 */
export const scrub = (text: string): string => redact(text, [...known]);
