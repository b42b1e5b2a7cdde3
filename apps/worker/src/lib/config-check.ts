import type { Env } from "../env.ts";
import { skipModelRulesProblem } from "./model-rules.ts";
import { providerFallbacksProblem } from "./provider.ts";
import { signingKeyProblems } from "./signing.ts";

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
  out.push(...signingKeyProblems(env));
  const skip = skipModelRulesProblem(env);
  if (skip) out.push(skip);
  const fallbacks = providerFallbacksProblem(env);
  if (fallbacks) out.push(fallbacks);
  return out;
}
