import type { Env } from "../env.ts";
import { signingKeyProblems } from "./signing.ts";

/**
 * What is wrong with the Worker's secrets, one line each, naming the secret and the rule, never
 * a value: a missing `PROVIDER_API_KEY` or `ADMIN_TOKEN`, and every unusable `SIGNING_KEYS`
 * entry. `/healthz` reports them; an empty list means nothing was found.
 * @example
 * configProblems(env) // ["ADMIN_TOKEN: not set; every /admin call is refused"]
 */
export function configProblems(env: Env): string[] {
  const out: string[] = [];
  if (!env.PROVIDER_API_KEY) out.push("PROVIDER_API_KEY: not set; the provider gets no key");
  if (!env.ADMIN_TOKEN) out.push("ADMIN_TOKEN: not set; every /admin call is refused");
  out.push(...signingKeyProblems(env));
  return out;
}
