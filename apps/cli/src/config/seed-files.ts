import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { PROFILES } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { parseDotenv } from "./dotenv.ts";
import { type ConfigFile, defaultRule, type ProviderDefaults, type ProviderEntry } from "./schema.ts";
import { sameUrl } from "./settings.ts";

/**
 * The settings files of the image skills gptimg replaces, read as gptimg providers: their JSON
 * config files (`{"api_key", "base_url", "model", "extra_body"}`) and a skill folder's `.env`.
 * Used by `gptimg login --import` and by `--config FILE` given such a JSON file.
 */

/** One provider found in a skill's file. */
export interface Found {
  file: string;
  name: string;
  entry: ProviderEntry;
  /** settings found but not representable in a provider (said, never dropped silently) */
  skipped: string[];
}

const OPENAI = PROFILES.openai.baseUrl;
/** No base URL, or OpenAI's own (as settings compare URLs: `https://API.openai.com/v1/` is it). */
const isOpenAi = (base: string | undefined): boolean =>
  base === undefined || (OPENAI !== undefined && sameUrl(base, OPENAI));

/** A provider name from a file's place: its skill folder or config directory, made plain. */
function nameFrom(file: string): string {
  const folder = basename(dirname(file));
  const plain = folder.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-_]+|[-_]+$/g, "");
  return (plain || "imported").slice(0, 64);
}

const OPTION_KEYS: Record<string, keyof ProviderDefaults> = {
  quality: "quality",
  moderation: "moderation",
  size: "size",
  format: "format",
  output_format: "format",
  output_compression: "compression",
  compression: "compression",
  background: "background",
  n: "n",
};

/**
 * Sets one default from a skill's setting, or leaves it out with a note in `skipped` naming the
 * setting, the file, the value and the rule it breaks (the rest of the file is still imported).
 */
function setDefault(
  defaults: ProviderDefaults,
  key: keyof ProviderDefaults,
  value: string | number,
  setting: string,
  file: string,
  skipped: string[],
  /** the provider's model, whose size rules a size must keep */
  model?: string,
): void {
  const whole = key === "n" || key === "compression";
  const v = whole ? (typeof value === "string" && value.trim() === "" ? Number.NaN : Number(value)) : String(value);
  const rule = defaultRule(key, v, model);
  if (rule === undefined) (defaults as Record<string, unknown>)[key] = v;
  else skipped.push(`${setting} ${JSON.stringify(value)} in ${file}: ${rule}`);
}

/** Moves option-like keys of an extra body (quality, size…) into defaults, where flags override them. */
function splitExtra(
  extra: Record<string, unknown>,
  defaults: ProviderDefaults,
  where: { setting: string; file: string; skipped: string[]; model?: string },
): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) {
    const d = OPTION_KEYS[k];
    if (d && (typeof v === "string" || typeof v === "number")) {
      setDefault(defaults, d, v, `${where.setting}.${k}`, where.file, where.skipped, where.model);
    } else rest[k] = v;
  }
  return rest;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/** `~/.config/gpt-image-2-generation/config.json` (WellAPI) or `gpt-image-2-apikey` (any base URL). */
export function fromJson(file: string): Found | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CliError("usage", `${file}: not valid JSON (${(e as Error).message}); left as it is`, {
      exitCode: EXIT.usage,
    });
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  return fromParsed(raw as Record<string, unknown>, file);
}

function fromParsed(c: Record<string, unknown>, file: string): Found | undefined {
  const key = str(c.api_key) ?? str(c.apiKey) ?? str(c.WELLAPI_API_KEY) ?? str(c.wellapi_api_key) ?? str(c.key);
  if (!key) return undefined;
  const base = str(c.base_url) ?? str(c.baseUrl);
  const wellapi = basename(dirname(file)) === "gpt-image-2-generation" && base === undefined;
  const defaults: ProviderDefaults = wellapi
    ? // the WellAPI skill's own defaults, so its users get the images they are used to
      { quality: "low", format: "jpeg", size: "1024x1024" }
    : { size: "1024x1024" };
  const entry: ProviderEntry = wellapi
    ? { profile: "wellapi", apiKey: key }
    : {
        profile: isOpenAi(base) ? "openai" : "openai-compatible",
        ...(base ? { baseUrl: base } : {}),
        apiKey: key,
      };
  const model = str(c.model);
  if (model) entry.model = model;
  const skipped: string[] = [];
  const setting = c.extra_body !== undefined ? "extra_body" : "extraBody";
  const extra = c.extra_body ?? c.extraBody;
  if (typeof extra === "object" && extra !== null && !Array.isArray(extra)) {
    const rest = splitExtra(extra as Record<string, unknown>, defaults, { setting, file, skipped, model });
    if (Object.keys(rest).length > 0) entry.extraBody = rest;
  }
  entry.defaults = defaults;
  return { file, name: wellapi ? "wellapi" : nameFrom(file), entry, skipped };
}

/** `OPENAI_IMAGE_*` variables that map to a provider's defaults. */
const ENV_DEFAULTS: Record<string, keyof ProviderDefaults> = {
  OPENAI_IMAGE_SIZE: "size",
  OPENAI_IMAGE_QUALITY: "quality",
  OPENAI_IMAGE_N: "n",
  OPENAI_IMAGE_OUTPUT_FORMAT: "format",
  OPENAI_IMAGE_FORMAT: "format",
  OPENAI_IMAGE_OUTPUT_COMPRESSION: "compression",
  OPENAI_IMAGE_BACKGROUND: "background",
  OPENAI_IMAGE_MODERATION: "moderation",
};

/** A skill folder's `.env`: OPENAI_* (a third-party base URL), GPT_IMAGE2_* or WELLAPI_API_KEY. */
export function fromDotenv(file: string): Found | undefined {
  const v = parseDotenv(readFileSync(file, "utf8"));
  const get = (k: string): string | undefined => str(v[k]);
  const skipped: string[] = [];
  const defaults: ProviderDefaults = {};
  let entry: ProviderEntry;
  if (get("GPT_IMAGE2_API_KEY") && get("GPT_IMAGE2_BASE_URL")) {
    const base = get("GPT_IMAGE2_BASE_URL")!.replace(/\/+$/, "");
    const gen = get("GPT_IMAGE2_GENERATE_PATH");
    const edit = get("GPT_IMAGE2_EDIT_PATH");
    entry = { profile: "openai-compatible", baseUrl: base, apiKey: get("GPT_IMAGE2_API_KEY") };
    if (/^[a-z]+:\/\/[^/]+$/i.test(base)) {
      // a root URL: the skill's paths start with /v1
      if (gen || edit) {
        const v1 = { generations: "/v1/images/generations", edits: "/v1/images/edits", models: "/v1/models" };
        entry.paths = { ...v1, ...(gen ? { generations: gen } : {}), ...(edit ? { edits: edit } : {}) };
      } else entry.baseUrl = `${base}/v1`;
    } else if (gen || edit) entry.paths = { ...(gen ? { generations: gen } : {}), ...(edit ? { edits: edit } : {}) };
    // the private-relay skill's defaults
    Object.assign(defaults, { quality: "low", moderation: "low" });
    if (get("GPT_IMAGE2_TIMEOUT_SECONDS")) skipped.push("GPT_IMAGE2_TIMEOUT_SECONDS (pass --timeout per run)");
  } else if (get("OPENAI_API_KEY")) {
    const base = get("OPENAI_BASE_URL");
    entry = {
      profile:
        get("OPENAI_IMAGE_PROTOCOL") === "openai_chat" ? "chat" : isOpenAi(base) ? "openai" : "openai-compatible",
      ...(base ? { baseUrl: base } : get("OPENAI_IMAGE_PROTOCOL") === "openai_chat" ? { baseUrl: OPENAI } : {}),
      apiKey: get("OPENAI_API_KEY"),
    };
    const model = get("OPENAI_IMAGE_MODEL");
    if (model) entry.model = model;
    for (const [k, d] of Object.entries(ENV_DEFAULTS)) {
      const value = get(k);
      if (value === undefined) continue;
      setDefault(defaults, d, value, k, file, skipped, model);
    }
    const extra = get("OPENAI_IMAGE_EXTRA_JSON");
    if (extra) {
      try {
        const parsed = JSON.parse(extra) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
          const rest = splitExtra(parsed as Record<string, unknown>, defaults, {
            setting: "OPENAI_IMAGE_EXTRA_JSON",
            file,
            skipped,
            model,
          });
          if (Object.keys(rest).length > 0) entry.extraBody = rest;
        } else skipped.push("OPENAI_IMAGE_EXTRA_JSON (not a JSON object)");
      } catch {
        skipped.push("OPENAI_IMAGE_EXTRA_JSON (not valid JSON)");
      }
    }
    for (const k of Object.keys(v).sort()) {
      if (
        k.startsWith("OPENAI_IMAGE_") &&
        !(k in ENV_DEFAULTS) &&
        !["OPENAI_IMAGE_MODEL", "OPENAI_IMAGE_PROTOCOL", "OPENAI_IMAGE_EXTRA_JSON"].includes(k)
      )
        skipped.push(`${k} (set it per run: as a flag, or in the environment)`);
    }
  } else if (get("WELLAPI_API_KEY")) {
    entry = { profile: "wellapi", apiKey: get("WELLAPI_API_KEY") };
  } else return undefined;
  if (Object.keys(defaults).length > 0) entry.defaults = defaults;
  return { file, name: nameFrom(file), entry, skipped };
}

/** A skill's JSON config (it has `api_key` and no `providers`) as a gptimg config with that one provider. */
export function seedConfigFile(raw: unknown, file: string): ConfigFile | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const c = raw as Record<string, unknown>;
  if (c.providers !== undefined || c.provider !== undefined || typeof c.api_key !== "string") return undefined;
  const f = fromParsed(c, file);
  // read in place of a config, a setting that cannot be used is an error, not a note
  if (f && f.skipped.length > 0) throw new CliError("usage", f.skipped.join("; "), { exitCode: EXIT.usage });
  return f ? { provider: f.name, providers: { [f.name]: f.entry } } : undefined;
}
