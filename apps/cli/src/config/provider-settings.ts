import { PROFILES, type ProviderConfig } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { registerSecret } from "../cli/secrets.ts";
import { PROFILE_NAMES, type ProfileNameCli, type ProviderEntry } from "./schema.ts";
import { pick, type Sourced, type Sources, sameUrl, variable } from "./settings.ts";

/** Default base URLs of core's profiles that have one; a provider-specific key is only sent there. */
export const OFFICIAL_BASE: Partial<Record<ProfileNameCli, string>> = Object.fromEntries(
  PROFILE_NAMES.flatMap((p) => (PROFILES[p].baseUrl ? [[p, PROFILES[p].baseUrl]] : [])),
);

/** The profiles usable by name with no config entry: those with an official base URL. */
export const OFFICIAL_PROFILES = PROFILE_NAMES.filter((p) => OFFICIAL_BASE[p] !== undefined);

/**
 * Base URL variables, highest first. `GPTIMG_BASE_URL` always applies; the others (spelled as
 * the skills gptimg replaces spell them) only while no provider is chosen by name (`--provider`,
 * `GPTIMG_PROVIDER`, or the config's `provider`), so a configured setup is never redirected by
 * a variable another tool exported.
 */
export const BASE_VARS = ["GPTIMG_BASE_URL", "GPT_IMAGE2_BASE_URL", "OPENAI_BASE_URL"] as const;

/**
 * Key variables and the one place each is sent ("any": the base URL in use). A key goes to no
 * other host: a profile's own variable (core's `keyVariable`: `OPENAI_API_KEY`) only to the host
 * its `baseUrlVariable` names when that is set (`OPENAI_BASE_URL`), else to its official base URL.
 */
const KEY_VARS: readonly {
  name: string;
  home: (s: Sources) => Sourced | "any" | undefined;
}[] = [
  { name: "GPTIMG_API_KEY", home: () => "any" },
  { name: "GPT_IMAGE2_API_KEY", home: (s) => variable(s, "GPT_IMAGE2_BASE_URL") },
  ...OFFICIAL_PROFILES.flatMap((profile) => {
    const { keyVariable, baseUrlVariable, baseUrl, title } = PROFILES[profile];
    if (keyVariable === undefined || baseUrl === undefined) return [];
    const official: Sourced = { value: baseUrl, source: title };
    const home = (s: Sources) => (baseUrlVariable ? variable(s, baseUrlVariable) : undefined) ?? official;
    return [{ name: keyVariable, home }];
  }),
];

/** The WellAPI seed's rule: its key alone (no other key, no base URL) picks the wellapi profile. */
const WELLAPI_KEY = PROFILES.wellapi.keyVariable ?? "WELLAPI_API_KEY";

export interface DirectSettings {
  /** primary first, then the fallbacks that have a key */
  providers: ProviderConfig[];
  /** where the primary's key came from (undefined: none found) */
  keySource: string | undefined;
  /** where the primary's base URL came from (undefined: its profile's default) */
  baseSource: string | undefined;
  /** the model asked for by --model / GPTIMG_MODEL (undefined: the provider's default) */
  model: string | undefined;
  /** notes such as skipped fallbacks */
  notes: string[];
  /** why a key that is set was not sent (exit 3 names it) */
  withheld: string[];
  /** the primary's request defaults from the config */
  defaults: ProviderEntry["defaults"];
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
    `provider ${name}: not configured (known: ${[...known, ...OFFICIAL_PROFILES].join(", ")}); add it with gptimg config set providers.${name}.baseUrl URL`,
    { exitCode: EXIT.usage },
  );
}

function profileOf(name: string, entry: ProviderEntry): ProfileNameCli {
  return entry.profile ?? (isProfile(name) ? name : entry.baseUrl ? "openai-compatible" : "openai");
}

/** The key of one provider from its config layer: keyEnv, then the stored key. */
function configKey(s: Sources, name: string, entry: ProviderEntry): Sourced | undefined {
  if (entry.keyEnv) {
    const v = variable(s, entry.keyEnv);
    if (v) return { value: v.value, source: `${v.source} via providers.${name}.keyEnv` };
  }
  if (entry.apiKey) return { value: entry.apiKey, source: `config ${s.file.path}` };
  return undefined;
}

/** Where a provider's configured key may go: its own base URL, else its profile's official one. */
const keyHome = (name: string, entry: ProviderEntry): string | undefined =>
  entry.baseUrl ?? OFFICIAL_BASE[profileOf(name, entry)];

/** A fallback's key: its config layer, else its profile's own variable at its profile's own host. */
function fallbackKey(s: Sources, name: string, entry: ProviderEntry): Sourced | undefined {
  const own = configKey(s, name, entry);
  if (own) return own;
  const base = entry.baseUrl ?? OFFICIAL_BASE[profileOf(name, entry)];
  if (base === undefined) return undefined;
  for (const k of KEY_VARS) {
    const home = k.home(s);
    if (home === "any" || home === undefined || !sameUrl(home.value, base)) continue;
    const v = variable(s, k.name);
    if (v && entry.baseUrl === undefined) return v;
  }
  return undefined;
}

function toProviderConfig(
  name: string,
  entry: ProviderEntry,
  baseUrl: string | undefined,
  key: string | undefined,
  chat = false,
): ProviderConfig {
  registerSecret(key);
  const profile = profileOf(name, entry);
  // the chat protocol has no default host: it keeps the profile's own
  const base = baseUrl ?? (chat ? OFFICIAL_BASE[profile] : undefined);
  return {
    name,
    profile: chat ? "chat" : profile,
    ...(base ? { baseUrl: base } : {}),
    ...(key ? { apiKey: key } : {}),
    ...(entry.model ? { model: entry.model } : {}),
    ...(entry.fixedModel ? { fixedModel: true } : {}),
    ...(entry.jsonEdits !== undefined ? { jsonEdits: entry.jsonEdits } : {}),
    ...(entry.paths ? { paths: entry.paths } : {}),
    ...(entry.fields ? { fields: entry.fields } : {}),
    ...(entry.extraBody ? { extraBody: entry.extraBody } : {}),
  };
}

type Origin = "flag" | "env" | "dotenv" | "config" | "profile";
interface Base {
  value: string | undefined;
  source: string | undefined;
  origin: Origin;
  /** the variable that named it */
  variable?: string;
}

const originOf = (source: string): Origin =>
  source.endsWith("(.env)") ? "dotenv" : source.startsWith("--") ? "flag" : "env";

/** The base URL: flag, then the base variables (seed spellings only when `seedVars`), then the config. */
function chooseBase(s: Sources, entry: ProviderEntry, seedVars: boolean): Base {
  const flagged = pick({ ...s, env: {}, dotenv: {} }, "base-url", "-");
  if (flagged) return { value: flagged.value, source: flagged.source, origin: "flag" };
  for (const name of seedVars ? BASE_VARS : BASE_VARS.slice(0, 1)) {
    const v = variable(s, name);
    if (v) return { value: v.value, source: v.source, origin: originOf(v.source), variable: name };
  }
  if (entry.baseUrl) return { value: entry.baseUrl, source: `config ${s.file.path}`, origin: "config" };
  return { value: undefined, source: undefined, origin: "profile" };
}

/**
 * The primary's key: `--api-key`; then each key variable (environment first, then `.env`) whose
 * home is the base URL in use; then the config's key when the base URL is its own. A key from
 * the environment never goes to a base URL that only a `.env` names (a cloned repository's
 * `.env` must not redirect the user's key): then only a key from that same `.env` is used.
 */
function primaryKey(
  s: Sources,
  name: string,
  entry: ProviderEntry,
  base: Base,
  withheld: string[],
): Sourced | undefined {
  const flag = pick({ ...s, env: {}, dotenv: {} }, "api-key", "-");
  if (flag) return flag;
  const target = base.value ?? OFFICIAL_BASE[profileOf(name, entry)];
  for (const layer of ["env", "dotenv"] as const) {
    const only: Sources = { ...s, env: layer === "env" ? s.env : {}, dotenv: layer === "dotenv" ? s.dotenv : {} };
    for (const k of KEY_VARS) {
      const found = variable(only, k.name);
      if (!found) continue;
      const home = k.home(s);
      if (home === undefined) {
        withheld.push(`${k.name} is sent only to GPT_IMAGE2_BASE_URL, which is not set`);
        continue;
      }
      if (home !== "any" && (target === undefined || !sameUrl(home.value, target))) {
        if (k.name !== WELLAPI_KEY || target !== undefined)
          withheld.push(`${found.source} is sent only to ${home.value}, not to ${target ?? "(none)"}`);
        continue;
      }
      if (layer === "env" && base.origin === "dotenv") {
        withheld.push(
          `${base.variable} in ./.env names ${base.value}; the key in ${k.name} (environment) is not sent to a host only a .env names: put the key in that .env too, pass --api-key, or remove ${base.variable} from ./.env`,
        );
        continue;
      }
      return found;
    }
  }
  // The config's key belongs to the config's base URL: one another layer names gets its own key.
  const home = keyHome(name, entry);
  if (base.value !== undefined && (home === undefined || !sameUrl(base.value, home))) return undefined;
  return configKey(s, name, entry);
}

/** Whether some key variable or the config could supply a key without WellAPI's. */
function otherKeySet(s: Sources, entry: ProviderEntry): boolean {
  if (pick({ ...s, env: {}, dotenv: {} }, "api-key", "-")) return true;
  if (entry.apiKey || entry.keyEnv) return true;
  return KEY_VARS.some((k) => k.name !== WELLAPI_KEY && variable(s, k.name) !== undefined);
}

/** `GPT_IMAGE2_GENERATE_PATH` / `_EDIT_PATH`; a `GPT_IMAGE2_BASE_URL` without a path means its /v1. */
function seedPaths(s: Sources, base: Base): ProviderEntry["paths"] | undefined {
  const paths: NonNullable<ProviderEntry["paths"]> = {};
  if (base.variable === "GPT_IMAGE2_BASE_URL" && base.value && /^[a-z]+:\/\/[^/]+\/?$/i.test(base.value)) {
    Object.assign(paths, {
      generations: "/v1/images/generations",
      edits: "/v1/images/edits",
      chat: "/v1/chat/completions",
      models: "/v1/models",
    });
  }
  const gen = variable(s, "GPT_IMAGE2_GENERATE_PATH");
  const edit = variable(s, "GPT_IMAGE2_EDIT_PATH");
  if (gen) paths.generations = gen.value;
  if (edit) paths.edits = edit.value;
  return Object.keys(paths).length > 0 ? paths : undefined;
}

/** `--protocol` / `OPENAI_IMAGE_PROTOCOL`: `openai_chat` speaks chat/completions. */
function chatProtocol(s: Sources): boolean {
  const p = pick(s, "protocol" as keyof Sources["flags"], "OPENAI_IMAGE_PROTOCOL");
  if (p === undefined) return false;
  if (p.value !== "openai_images" && p.value !== "openai_chat") {
    throw new CliError("usage", `${p.source} ${p.value}: must be openai_images or openai_chat`, {
      exitCode: EXIT.usage,
    });
  }
  return p.value === "openai_chat";
}

/**
 * The direct route's providers. The primary takes flags > environment > .env > config (see
 * `gptimg help config` for the variables and their order); fallbacks come from the config only,
 * and one without a key is skipped with a note.
 */
export function directSettings(s: Sources): DirectSettings {
  const notes: string[] = [];
  const withheld: string[] = [];
  const chosen = pick(s, "provider", "GPTIMG_PROVIDER")?.value ?? s.file.config.provider;
  let name = chosen ?? "default";
  let entry = entryFor(s, name);
  // No provider chosen by name: the variables of the skills gptimg replaces apply too.
  const seedVars = chosen === undefined && s.file.config.providers?.[name] === undefined;
  const base = chooseBase(s, entry, seedVars);
  if (seedVars && base.value === undefined && !otherKeySet(s, entry) && variable(s, WELLAPI_KEY)) {
    name = "wellapi";
    entry = { profile: "wellapi" };
  }
  if (seedVars) {
    const paths = seedPaths(s, base);
    if (paths) entry = { ...entry, paths: { ...entry.paths, ...paths } };
  }
  const key = primaryKey(s, name, entry, base, withheld);
  if (!key && base.source && base.origin !== "config" && (entry.apiKey || entry.keyEnv)) {
    const home = keyHome(name, entry) ?? "its own base URL";
    notes.push(
      `the configured key of provider ${name} is sent only to ${home}; ${base.value} (${base.source}) needs its own key`,
    );
  }
  const providers = [toProviderConfig(name, entry, base.value, key?.value, chatProtocol(s))];
  for (const fb of entry.fallbacks ?? []) {
    const fbEntry = entryFor(s, fb);
    const fbKey = fallbackKey(s, fb, fbEntry);
    if (!fbKey) {
      notes.push(`fallback ${fb} skipped: no key (set providers.${fb}.apiKey or keyEnv)`);
      continue;
    }
    providers.push(toProviderConfig(fb, fbEntry, fbEntry.baseUrl, fbKey.value));
  }
  return {
    providers,
    keySource: key?.source,
    baseSource: base.source,
    model: pick(s, "model", "GPTIMG_MODEL")?.value ?? variable(s, "OPENAI_IMAGE_MODEL")?.value,
    notes,
    withheld: key ? [] : withheld,
    defaults: entry.defaults,
  };
}

/** Exit 3 with the first-run message that says exactly how to provide a key. */
export function missingKeyError(providerName: string, configPath: string, withheld: string[] = []): CliError {
  const msg = [
    `no API key found for provider ${providerName}.`,
    ...withheld.map((w) => `not used: ${w}`),
    "Provide one with any of:",
    `  gptimg login                      stores it in ${configPath} (0600)`,
    "  export GPTIMG_API_KEY=<key>       environment",
    "  GPTIMG_API_KEY=<key> in ./.env    a .env file in the working directory",
    "  --api-key <key>                   a flag (ends up in shell history)",
  ].join("\n");
  return new CliError("auth", msg, { exitCode: EXIT.auth });
}
