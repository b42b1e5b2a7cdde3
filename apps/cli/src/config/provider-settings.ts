import type { ProviderConfig } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { registerSecret } from "../cli/secrets.ts";
import { PROFILE_NAMES, type ProfileNameCli, type ProviderEntry } from "./schema.ts";
import { pick, type Sourced, type Sources, sameUrl, variable } from "./settings.ts";

/** Default base URLs of the profiles that have one; a provider-specific key is only sent there. */
const OFFICIAL_BASE: Partial<Record<ProfileNameCli, string>> = {
  openai: "https://api.openai.com/v1",
  wellapi: "https://wellapi.ai/v1",
};

/** Provider-specific key variables, read only for their own profile (and its own host). */
const PROFILE_KEY_VARS: Partial<Record<ProfileNameCli, string>> = {
  openai: "OPENAI_API_KEY",
  wellapi: "WELLAPI_API_KEY",
};

export interface DirectSettings {
  /** primary first, then the fallbacks that have a key */
  providers: ProviderConfig[];
  /** where the primary's key came from (undefined: none found) */
  keySource: string | undefined;
  /** the model asked for by --model / GPTIMG_MODEL (undefined: the provider's default) */
  model: string | undefined;
  /** notes such as skipped fallbacks */
  notes: string[];
}

const isProfile = (n: string): n is ProfileNameCli => (PROFILE_NAMES as readonly string[]).includes(n);

function entryFor(s: Sources, name: string): ProviderEntry {
  const entry = s.file.config.providers?.[name];
  if (entry) return entry;
  if (isProfile(name)) return { profile: name };
  if (name === "default") return { profile: "openai" };
  const known = Object.keys(s.file.config.providers ?? {});
  throw new CliError(
    "usage",
    `provider ${name}: not configured (known: ${[...known, "openai", "wellapi"].join(", ")}); add it with gptimg config set providers.${name}.baseUrl URL`,
    { exitCode: EXIT.usage },
  );
}

function profileOf(name: string, entry: ProviderEntry): ProfileNameCli {
  return entry.profile ?? (isProfile(name) ? name : entry.baseUrl ? "openai-compatible" : "openai");
}

/** The key of one provider from its config layer: keyEnv, then the stored key, then its profile's variable. */
function configKey(s: Sources, name: string, entry: ProviderEntry, baseUrl: string | undefined): Sourced | undefined {
  if (entry.keyEnv) {
    const v = variable(s, entry.keyEnv);
    if (v) return { value: v.value, source: `${v.source} via providers.${name}.keyEnv` };
  }
  if (entry.apiKey) return { value: entry.apiKey, source: `config ${s.file.path}` };
  return profileKey(s, profileOf(name, entry), baseUrl);
}

/** Where a provider's configured key may go: its own base URL, else its profile's official one. */
const keyHome = (name: string, entry: ProviderEntry): string | undefined =>
  entry.baseUrl ?? OFFICIAL_BASE[profileOf(name, entry)];

function profileKey(s: Sources, profile: ProfileNameCli, baseUrl: string | undefined): Sourced | undefined {
  const v = PROFILE_KEY_VARS[profile];
  const official = OFFICIAL_BASE[profile];
  // OPENAI_API_KEY must not travel to some other host that merely uses the openai profile.
  if (!v || !official || (baseUrl !== undefined && !sameUrl(baseUrl, official))) return undefined;
  return variable(s, v);
}

function toProviderConfig(
  name: string,
  entry: ProviderEntry,
  baseUrl: string | undefined,
  key: string | undefined,
): ProviderConfig {
  registerSecret(key);
  return {
    name,
    profile: profileOf(name, entry),
    ...(baseUrl ? { baseUrl } : {}),
    ...(key ? { apiKey: key } : {}),
    ...(entry.model ? { model: entry.model } : {}),
    ...(entry.fixedModel ? { fixedModel: true } : {}),
    ...(entry.paths ? { paths: entry.paths } : {}),
    ...(entry.fields ? { fields: entry.fields } : {}),
    ...(entry.extraBody ? { extraBody: entry.extraBody } : {}),
  };
}

/**
 * flag > GPTIMG_API_KEY (environment) > the profile's own variable (environment) >
 * GPTIMG_API_KEY (.env) > the profile's variable (.env) > the config file.
 */
function primaryKey(s: Sources, name: string, entry: ProviderEntry, baseUrl: string | undefined): Sourced | undefined {
  const flag = pick({ ...s, env: {}, dotenv: {} }, "api-key", "GPTIMG_API_KEY");
  if (flag) return flag;
  const profile = profileOf(name, entry);
  for (const layer of ["env", "dotenv"] as const) {
    const only: Sources = {
      ...s,
      flags: {},
      env: layer === "env" ? s.env : {},
      dotenv: layer === "dotenv" ? s.dotenv : {},
    };
    const found = pick(only, undefined, "GPTIMG_API_KEY") ?? profileKey(only, profile, baseUrl);
    if (found) return found;
  }
  // The config's key belongs to the config's base URL: one another layer names gets its own key.
  const home = keyHome(name, entry);
  if (baseUrl !== undefined && (home === undefined || !sameUrl(baseUrl, home))) return undefined;
  return configKey(s, name, entry, baseUrl);
}

/**
 * The direct route's providers. The primary takes flags > GPTIMG_* environment > .env > config;
 * fallbacks come from the config only, and one without a key is skipped with a note.
 */
export function directSettings(s: Sources): DirectSettings {
  const notes: string[] = [];
  const name = pick(s, "provider", "GPTIMG_PROVIDER")?.value ?? s.file.config.provider ?? "default";
  const entry = entryFor(s, name);
  const base = pick(s, "base-url", "GPTIMG_BASE_URL");
  const baseUrl = base?.value ?? entry.baseUrl;
  const key = primaryKey(s, name, entry, baseUrl);
  if (!key && base && (entry.apiKey || entry.keyEnv)) {
    const home = keyHome(name, entry) ?? "its own base URL";
    notes.push(
      `the configured key of provider ${name} is sent only to ${home}; ${base.value} (${base.source}) needs its own key`,
    );
  }
  const providers = [toProviderConfig(name, entry, baseUrl, key?.value)];
  for (const fb of entry.fallbacks ?? []) {
    const fbEntry = entryFor(s, fb);
    const fbKey = configKey(s, fb, fbEntry, fbEntry.baseUrl);
    if (!fbKey) {
      notes.push(`fallback ${fb} skipped: no key (set providers.${fb}.apiKey or keyEnv)`);
      continue;
    }
    providers.push(toProviderConfig(fb, fbEntry, fbEntry.baseUrl, fbKey.value));
  }
  return { providers, keySource: key?.source, model: pick(s, "model", "GPTIMG_MODEL")?.value, notes };
}

/** Exit 3 with the first-run message that says exactly how to provide a key. */
export function missingKeyError(providerName: string, configPath: string): CliError {
  const msg = [
    `no API key found for provider ${providerName}. Provide one with any of:`,
    `  gptimg login                      stores it in ${configPath} (0600)`,
    "  export GPTIMG_API_KEY=<key>       environment",
    "  GPTIMG_API_KEY=<key> in ./.env    a .env file in the working directory",
    "  --api-key <key>                   a flag (ends up in shell history)",
  ].join("\n");
  return new CliError("auth", msg, { exitCode: EXIT.auth });
}
