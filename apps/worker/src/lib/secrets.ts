import { redact, shownUrls } from "@gptimg/core";
import { type Env, SECRET_NAMES } from "../env.ts";

/**
 * Every secret value the Worker holds (each of `SECRET_NAMES`, fallback keys, each signing key on
 * its own), for `redact`. Values shorter than 6 characters are left out: redacting them would
 * mangle ordinary words and they are not secrets worth the name.
 * @example
 * redact(message, envSecrets(env))
 */
export function envSecrets(env: Env): string[] {
  const out = new Set<string>();
  const rec = env as unknown as Record<string, unknown>;
  const add = (v: unknown) => {
    if (typeof v === "string" && v.length >= 6) out.add(v);
  };
  for (const name of SECRET_NAMES) add(rec[name]);
  for (const [name, value] of Object.entries(rec)) if (name.startsWith("PROVIDER_API_KEY_")) add(value);
  // each signing key on its own, in case one is quoted without the JSON around it
  try {
    const keys = JSON.parse(env.SIGNING_KEYS ?? "{}") as unknown;
    if (keys && typeof keys === "object") for (const v of Object.values(keys)) add(v);
  } catch {
    // an unparsable SIGNING_KEYS is still redacted whole above
  }
  return [...out];
}

/**
 * The message of an error with every configured secret (and anything token-shaped) removed, and
 * every URL it quotes without its query, fragment and userinfo (`shownUrls`): for logs, and for
 * what is stored or shown (a platform's answer or a presigned URL may quote a secret).
 * @example
 * console.error(`delivery failed: ${safeMessage(env, err)}`)
 */
export const safeMessage = (env: Env, e: unknown): string =>
  shownUrls(redact(e instanceof Error ? e.message : String(e), envSecrets(env)));
