import {
  type ClientOptions,
  createImageClient,
  type ImageClient,
  type ProfileName,
  type ProviderConfig,
} from "@gptimg/core";
import type { Env } from "../env.ts";

/**
 * Name of the secret holding fallback `name`'s key: `PROVIDER_API_KEY_<NAME>`, upper-cased, with
 * anything outside [A-Z0-9] turned into `_` (a fallback "mini-max" reads PROVIDER_API_KEY_MINI_MAX).
 */
export const fallbackKeyName = (name: string): `PROVIDER_API_KEY_${string}` =>
  `PROVIDER_API_KEY_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * The ordered provider list from configuration: the primary (PROVIDER_PROFILE, PROVIDER_BASE_URL,
 * PROVIDER_MODEL, secret PROVIDER_API_KEY) then each entry of PROVIDER_FALLBACKS (JSON array of core
 * `ProviderConfig` without `apiKey`). A key placed inside PROVIDER_FALLBACKS is ignored: vars are
 * not secret. Throws with the variable's name when the JSON is malformed.
 */
export function providerConfigs(env: Env): ProviderConfig[] {
  const primary: ProviderConfig = {
    name: "primary",
    profile: (env.PROVIDER_PROFILE || "openai") as ProfileName,
    baseUrl: env.PROVIDER_BASE_URL || undefined,
    apiKey: env.PROVIDER_API_KEY,
    model: env.PROVIDER_MODEL || undefined,
  };
  let fallbacks: unknown;
  try {
    fallbacks = JSON.parse(env.PROVIDER_FALLBACKS || "[]");
  } catch {
    throw new Error("PROVIDER_FALLBACKS: must be a JSON array of provider configs");
  }
  if (!Array.isArray(fallbacks)) throw new Error("PROVIDER_FALLBACKS: must be a JSON array of provider configs");
  const rec = env as unknown as Record<string, string | undefined>;
  return [
    primary,
    ...fallbacks.map((f: unknown, i): ProviderConfig => {
      if (!f || typeof f !== "object" || typeof (f as { name?: unknown }).name !== "string") {
        throw new Error(`PROVIDER_FALLBACKS[${i}]: must be an object with a string "name"`);
      }
      const config = { ...(f as ProviderConfig) };
      config.apiKey = rec[fallbackKeyName(config.name)];
      return config;
    }),
  ];
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
