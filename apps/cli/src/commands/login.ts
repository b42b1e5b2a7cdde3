import { usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { flag, parseCommandArgs, str } from "../cli/parse.ts";
import { askYesNo, checkSecret, readSecret } from "../cli/secret-input.ts";
import { registerSecret } from "../cli/secrets.ts";
import { OFFICIAL_BASE, OFFICIAL_PROFILES } from "../config/provider-settings.ts";
import { isHttpUrl, PROFILE_NAMES, PROVIDER_NAME, type ProfileNameCli, type ProviderEntry } from "../config/schema.ts";
import { canonicalUrl, loadSources, parseEndpoint, sameUrl } from "../config/settings.ts";
import { saveConfig } from "../config/store.ts";
import type { CommandRun } from "./types.ts";

/** The profile whose own base URL this is (https://api.openai.com/v1: openai), if any. */
const profileOf = (url: string): ProfileNameCli | undefined =>
  OFFICIAL_PROFILES.find((p) => {
    const own = OFFICIAL_BASE[p];
    return own !== undefined && sameUrl(own, url);
  });

/** The profiles with a base URL of their own, for a message: "openai or wellapi". */
const officialHosts = (): string => {
  const names = OFFICIAL_PROFILES;
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "any profile");
};

/**
 * `gptimg login [--provider NAME]` stores a provider key; `gptimg login --endpoint URL` stores
 * a Worker endpoint and team token. The secret is read without echo and never printed.
 */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (flag(values, "import")) {
    const sources = await loadSources(values, io);
    const { importProviders } = await import("./login-import.ts");
    return importProviders(positionals, io, sources.file.config, sources.file.path, flag(values, "default"));
  }
  if (positionals.length > 0)
    throw usageError(`login: unexpected ${positionals[0]}; the key is read from stdin, never from arguments`);
  const sources = await loadSources(values, io);
  const config = structuredClone(sources.file.config);
  const endpoint = str(values, "endpoint");
  if (endpoint !== undefined) {
    const url = parseEndpoint(endpoint, "--endpoint");
    const token = checkSecret(await readSecret(`Team token for ${url.origin} (input hidden): `), "team token");
    registerSecret(token);
    config.endpoint = { url: canonicalUrl(url.href), token };
    saveConfig(sources.file.path, config, io.env);
    io.err(`saved endpoint ${config.endpoint.url} and its team token to ${sources.file.path} (0600)`);
    return EXIT.ok;
  }
  const name = str(values, "provider") ?? config.provider ?? "default";
  if (!PROVIDER_NAME.test(name)) throw usageError(`--provider ${name}: must be letters, digits, _ or - (max 64)`);
  const profile = str(values, "profile");
  if (profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(profile)) {
    throw usageError(`--profile ${profile}: must be one of ${PROFILE_NAMES.join(", ")}`);
  }
  const entry: ProviderEntry = { ...(config.providers?.[name] ?? {}) };
  const baseUrl = str(values, "base-url");
  // Checked before the key is asked for, and before anything is written.
  if (baseUrl !== undefined && !isHttpUrl(baseUrl))
    throw usageError(`--base-url ${baseUrl}: must be an absolute http(s) URL such as https://example.com/v1`);
  let why = "";
  if (profile) entry.profile = profile as ProfileNameCli;
  else if (baseUrl !== undefined) {
    const own = profileOf(baseUrl);
    // another host than a profile's own is a relay or compatible server: multipart edits, which
    // most take, rather than OpenAI's JSON edit form (a profile without a host of its own stays)
    if (own) entry.profile = own;
    else if (!entry.profile || OFFICIAL_BASE[entry.profile] !== undefined) {
      entry.profile = "openai-compatible";
      why = `, as ${baseUrl} is not the base URL of ${officialHosts()}; choose another with --profile`;
    }
  } else if (!entry.profile)
    entry.profile = (PROFILE_NAMES as readonly string[]).includes(name) ? (name as ProfileNameCli) : "openai";
  // stored as it is compared: `https://API.example.com/v1/?` is `https://api.example.com/v1`
  if (baseUrl !== undefined) entry.baseUrl = canonicalUrl(baseUrl);
  const model = str(values, "model");
  if (model !== undefined) entry.model = model;
  const key = checkSecret(await readSecret(`API key for provider ${name} (input hidden): `), "API key");
  registerSecret(key);
  entry.apiKey = key;
  config.providers = { ...(config.providers ?? {}), [name]: entry };
  const previous = config.provider;
  if (previous === undefined || flag(values, "default")) config.provider = name;
  else if (previous !== name && process.stdin.isTTY && process.stderr.isTTY) {
    if (await askYesNo(`Make ${name} the default provider instead of ${previous}? [y/N] `)) config.provider = name;
  }
  saveConfig(sources.file.path, config, io.env);
  io.err(`saved the key of provider ${name} (profile ${entry.profile}${why}) to ${sources.file.path} (0600)`);
  if (config.provider !== name) {
    io.err(
      `note: the default provider is still ${previous}; use this one with --provider ${name}, or make it the default with gptimg config set provider ${name} (or log in again with --default)`,
    );
  } else if (previous !== undefined && previous !== name)
    io.err(`${name} is now the default provider (was ${previous})`);
  return EXIT.ok;
};
