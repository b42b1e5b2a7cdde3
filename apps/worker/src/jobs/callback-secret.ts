/**
 * Per-team callback secrets. Callbacks are not signed with a `SIGNING_KEYS` entry itself: whoever
 * holds that key can mint `/files` URLs for every team. Each team instead gets a secret derived
 * from it, `hex(HMAC-SHA256(signing key, "gptimg-callback-v1\n" + team))`, which verifies that
 * team's callbacks and nothing else: HMAC is one-way, so the secret reveals neither the signing
 * key nor any other team's secret.
 */
import type { Env } from "../env.ts";
import { newestSigningKey, signingKeys } from "../lib/signing.ts";
import { hmacSha256, toHex } from "../lib/tokens.ts";

/** Domain separation: the URL signer's strings start with "gptimg-url-v1\n", never this. */
const CONTEXT = "gptimg-callback-v1\n";

/** A callback secret and the kid of the signing key it was derived from. */
export interface CallbackSecret {
  kid: string;
  secret: string;
}

/**
 * The callback secret of `team` under one signing key: 64 hex characters. Team names are
 * `[A-Za-z0-9._-]{1,64}` (admin tokens), so no two teams share the string that is signed.
 * @example
 * const secret = await deriveCallbackSecret(key, "acme");
 */
export async function deriveCallbackSecret(signingKey: string, team: string): Promise<string> {
  if (team === "" || team.includes("\n")) throw new RangeError(`team ${JSON.stringify(team)}: must be a team name`);
  return toHex(await hmacSha256(signingKey, CONTEXT + team));
}

/**
 * The secret that signs `team`'s callbacks now: derived from the newest signing key. Throws
 * `NoSigningKeyError` when `SIGNING_KEYS` has no usable key.
 */
export async function newestCallbackSecret(env: Pick<Env, "SIGNING_KEYS">, team: string): Promise<CallbackSecret> {
  const { kid, key } = newestSigningKey(env);
  return { kid, secret: await deriveCallbackSecret(key, team) };
}

/**
 * `team`'s secret under every usable signing key, oldest first (the last one signs), so a
 * receiver can keep verifying through a key rotation. Empty when no key is usable.
 */
export async function callbackSecrets(env: Pick<Env, "SIGNING_KEYS">, team: string): Promise<CallbackSecret[]> {
  return Promise.all(
    signingKeys(env).map(async ([kid, key]) => ({ kid, secret: await deriveCallbackSecret(key, team) })),
  );
}
