import type { Env } from "../env.ts";
import { skipModelRulesProblem } from "./model-rules.ts";
import { providerFallbacksProblem } from "./provider.ts";
import { signingKeyProblems } from "./signing.ts";

/**
 * Shortest `ADMIN_TOKEN` taken: it is the one secret an operator picks by hand, and a short one
 * could be guessed online even at the wrong-token limit (lib/auth-limit.ts). 20 random base64url
 * characters are 120 bits.
 */
export const MIN_ADMIN_TOKEN_LENGTH = 20;

/**
 * The admin token to compare with, or undefined when `ADMIN_TOKEN` is unset or shorter than
 * `MIN_ADMIN_TOKEN_LENGTH`: then every admin call and admin sign-in is refused, as when unset.
 * @example
 * const expected = adminToken(c.env);
 */
export function adminToken(env: Pick<Env, "ADMIN_TOKEN">): string | undefined {
  const token = env.ADMIN_TOKEN;
  return token && token.length >= MIN_ADMIN_TOKEN_LENGTH ? token : undefined;
}

/**
 * What is wrong with the Worker's secrets and vars, one line each, naming the setting and the
 * rule, never a secret's value: a missing `PROVIDER_API_KEY` or `ADMIN_TOKEN`, every unusable
 * `SIGNING_KEYS` entry, a `SKIP_MODEL_RULES` that is not true/false, a malformed
 * `PROVIDER_FALLBACKS`. `/healthz` reports them; an empty list means nothing was found.
 * @example
 * configProblems(env) // ["ADMIN_TOKEN: not set; every /admin call is refused"]
 */
export function configProblems(env: Env): string[] {
  const out: string[] = [];
  if (!env.PROVIDER_API_KEY) out.push("PROVIDER_API_KEY: not set; the provider gets no key");
  if (!env.ADMIN_TOKEN) out.push("ADMIN_TOKEN: not set; every /admin call is refused");
  else if (!adminToken(env))
    out.push(
      `ADMIN_TOKEN: under ${MIN_ADMIN_TOKEN_LENGTH} characters, so guessable; every /admin call is refused (set one of ${MIN_ADMIN_TOKEN_LENGTH}+ random characters, e.g. openssl rand -base64 32)`,
    );
  out.push(...signingKeyProblems(env));
  const skip = skipModelRulesProblem(env);
  if (skip) out.push(skip);
  const fallbacks = providerFallbacksProblem(env);
  if (fallbacks) out.push(fallbacks);
  return out;
}
