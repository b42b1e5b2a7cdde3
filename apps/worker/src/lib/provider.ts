import {
  type ClientOptions,
  createImageClient,
  type ImageClient,
  type ProfileName,
  type ProviderConfig,
} from "@gptimg/core";
import type { Env } from "../env.ts";
import { ConfigError } from "./errors.ts";

/**
 * Name of the secret holding fallback `name`'s key: `PROVIDER_API_KEY_<NAME>`, upper-cased, with
 * anything outside [A-Z0-9] turned into `_` (a fallback "mini-max" reads PROVIDER_API_KEY_MINI_MAX).
 */
export const fallbackKeyName = (name: string): `PROVIDER_API_KEY_${string}` =>
  `PROVIDER_API_KEY_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

const FALLBACKS_RULE = "must be a JSON array of provider configs";

/**
 * The PROVIDER_FALLBACKS entries, or the problem that makes the var unusable, naming the var (and
 * the entry) and the rule, never the value: it may hold a key placed there by mistake.
 */
function readFallbacks(env: Pick<Env, "PROVIDER_FALLBACKS">): { fallbacks: ProviderConfig[] } | { problem: string } {
  let fallbacks: unknown;
  try {
    fallbacks = JSON.parse(env.PROVIDER_FALLBACKS || "[]");
  } catch {
    return { problem: `PROVIDER_FALLBACKS: not JSON; ${FALLBACKS_RULE}` };
  }
  if (!Array.isArray(fallbacks)) return { problem: `PROVIDER_FALLBACKS: ${FALLBACKS_RULE}` };
  const bad = fallbacks.findIndex(
    (f: unknown) => !f || typeof f !== "object" || typeof (f as { name?: unknown }).name !== "string",
  );
  if (bad >= 0) return { problem: `PROVIDER_FALLBACKS[${bad}]: must be an object with a string "name"` };
  return { fallbacks: fallbacks as ProviderConfig[] };
}

/**
 * What makes PROVIDER_FALLBACKS unusable, for `/healthz`; undefined when it is unset or fine.
 * @example
 * providerFallbacksProblem({ PROVIDER_FALLBACKS: "{}" }) // "PROVIDER_FALLBACKS: must be a JSON array …"
 */
export function providerFallbacksProblem(env: Pick<Env, "PROVIDER_FALLBACKS">): string | undefined {
  const read = readFallbacks(env);
  return "problem" in read ? read.problem : undefined;
}

/**
 * The ordered provider list from configuration: the primary (PROVIDER_PROFILE, PROVIDER_BASE_URL,
 * PROVIDER_MODEL, secret PROVIDER_API_KEY) then each entry of PROVIDER_FALLBACKS (JSON array of core
 * `ProviderConfig` without `apiKey`). A key placed inside PROVIDER_FALLBACKS is ignored: vars are
 * not secret. A malformed PROVIDER_FALLBACKS is a `ConfigError` naming it (`/healthz` lists it).
 */
export function providerConfigs(env: Env): ProviderConfig[] {
  const primary: ProviderConfig = {
    name: "primary",
    profile: (env.PROVIDER_PROFILE || "openai") as ProfileName,
    baseUrl: env.PROVIDER_BASE_URL || undefined,
    apiKey: env.PROVIDER_API_KEY,
    model: env.PROVIDER_MODEL || undefined,
  };
  const read = readFallbacks(env);
  if ("problem" in read) throw new ConfigError(read.problem);
  const rec = env as unknown as Record<string, string | undefined>;
  return [primary, ...read.fallbacks.map((f): ProviderConfig => ({ ...f, apiKey: rec[fallbackKeyName(f.name)] }))];
}

/** Every model the configuration names: the primary's, each fallback's, and those with rates. */
export function configuredModels(env: Env): string[] {
  const models = new Set<string>();
  for (const p of providerConfigs(env)) if (p.model) models.add(p.model);
  try {
    const rates = JSON.parse(env.MODEL_RATES ?? "{}") as unknown;
    if (rates && typeof rates === "object" && !Array.isArray(rates)) for (const m of Object.keys(rates)) models.add(m);
  } catch {
    // unparsable MODEL_RATES contributes no models
  }
  return [...models];
}

/**
 * Core's image client for this Worker's providers (primary first, then fallbacks).
 * `fetchImpl` defaults to a late-bound `globalThis.fetch`, so tests that spy on fetch see each call;
 * `extra` adds per-request client options (`onImageBase64`).
 * @example
 * const client = createProviderClient(c.env);
 * for await (const ev of client.generateStream({ prompt })) …
 */
export function createProviderClient(
  env: Env,
  fetchImpl?: typeof fetch,
  extra: Pick<ClientOptions, "onImageBase64"> = {},
): ImageClient {
  return createImageClient({
    ...extra,
    providers: providerConfigs(env),
    fetch: fetchImpl ?? ((input, init) => globalThis.fetch(input, init)),
  });
}
