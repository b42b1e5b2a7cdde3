import { imageOption, isValidationError, PROFILE_NAMES, type ProfileName, resolveSize } from "@gptimg/core";

/** The config file's shape and its checks. Secrets are never echoed in a problem. */

/** Core's profiles: a profile is added in core (`PROFILES`) and the CLI takes it from there. */
export { PROFILE_NAMES };
export type ProfileNameCli = ProfileName;

/** USD per million tokens. */
export interface Rate {
  textInput: number;
  imageInput: number;
  imageOutput: number;
  /** USD per image, for models billed by the image */
  perImage?: number;
}

/** Request defaults of one provider; flags and `OPENAI_IMAGE_*` variables override them. */
export interface ProviderDefaults {
  quality?: string;
  moderation?: string;
  size?: string;
  format?: string;
  compression?: number;
  background?: string;
  n?: number;
}

export interface ProviderEntry {
  profile?: ProfileNameCli;
  baseUrl?: string;
  /** the key itself (stored by `gptimg login`) */
  apiKey?: string;
  /** or the name of an environment variable holding it */
  keyEnv?: string;
  model?: string;
  fixedModel?: boolean;
  extraBody?: Record<string, unknown>;
  /** names of other providers to try, in order, when this one fails retryably */
  fallbacks?: string[];
  paths?: { generations?: string; edits?: string; chat?: string; models?: string };
  fields?: { outputFormat?: string; image?: string; mask?: string };
  /** whether its edits endpoint takes the spec's JSON edit form (image URLs by reference); default from the profile */
  jsonEdits?: boolean;
  /** request defaults (quality, size, format…) that flags override */
  defaults?: ProviderDefaults;
}

export interface ConfigFile {
  /** the default provider's name */
  provider?: string;
  providers?: Record<string, ProviderEntry>;
  /** the Worker route, stored by `gptimg login --endpoint` */
  endpoint?: { url?: string; token?: string };
  rates?: Record<string, Partial<Rate>>;
  /** print MEDIA:<path> lines for every saved image (as GPTIMG_MEDIA=1 does) */
  media?: boolean;
}

export interface ConfigIssue {
  field: string;
  /** the offending value, when showing it is safe (never for secrets) */
  value?: string;
  rule: string;
}

/** `providers.x.profile nope: must be one of …`, the same shape as core's validation issues. */
export const formatConfigIssue = (i: ConfigIssue): string =>
  `${i.field}${i.value === undefined ? "" : ` ${i.value}`}: ${i.rule}`;

/** Provider names become config keys and appear in messages: keep them plain. */
export const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
/** An absolute http(s) URL with a host (what a provider baseUrl must be). */
export const isHttpUrl = (v: string): boolean => {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
};

const PROVIDER_KEYS = new Set([
  "profile",
  "baseUrl",
  "apiKey",
  "keyEnv",
  "model",
  "fixedModel",
  "extraBody",
  "fallbacks",
  "paths",
  "fields",
  "jsonEdits",
  "defaults",
]);

/** Each `defaults` key: the core option it stands for, and its bounds when it is a whole number. */
const DEFAULT_KEYS: Record<keyof ProviderDefaults, { option: string; integer?: [number, number] }> = {
  quality: { option: "quality" },
  moderation: { option: "moderation" },
  size: { option: "size" },
  format: { option: "outputFormat" },
  compression: { option: "outputCompression", integer: [0, 100] },
  background: { option: "background" },
  n: { option: "n", integer: [1, 10] },
};

/**
 * The rule one `defaults` value breaks, or undefined when it is fine (the config check's, and
 * `login --import`'s for each setting it reads).
 * @example
 * defaultRule("n", Number.NaN) // "must be an integer from 1 to 10"
 * defaultRule("size", "5000x5000") // "the longest side must be at most 3840 (nearest legal: …)"
 * @param model the provider's model, whose size rules a size must keep (gpt-image-2's when none)
 */
export function defaultRule(key: string, v: unknown, model?: string): string | undefined {
  const spec = DEFAULT_KEYS[key as keyof ProviderDefaults];
  if (!spec) return `unknown key (one of ${Object.keys(DEFAULT_KEYS).join(", ")})`;
  if (spec.integer) {
    const [min, max] = spec.integer;
    const ok = typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
    return ok ? undefined : `must be an integer from ${min} to ${max}`;
  }
  const option = imageOption(spec.option);
  const values = option?.type === "enum" ? option.values : undefined;
  if (typeof v !== "string" || v === "") return "must be a non-empty string";
  if (values && !values.includes(v.toLowerCase()) && option?.valueAliases?.[v.toLowerCase()] === undefined)
    return `must be one of ${values.join(", ")}`;
  if (key === "size") return sizeRule(v, model);
  return undefined;
}

/** The rule a default size breaks under the model's size rules (core's, as a request checks it). */
function sizeRule(v: string, model: string | undefined): string | undefined {
  try {
    resolveSize(v, model);
    return undefined;
  } catch (e) {
    if (!isValidationError(e)) throw e;
    const rule = e.issues.map((i) => i.rule).join("; ");
    const suggestion = e.issues.find((i) => i.suggestion)?.suggestion;
    return `${rule}${model ? ` for ${model}` : ""}${suggestion ? ` (nearest legal: ${suggestion})` : ""}`;
  }
}

function checkDefaults(at: string, d: unknown, model: string | undefined, issues: ConfigIssue[]): void {
  if (!isObject(d)) {
    issues.push({ field: at, rule: 'must be an object such as {"quality": "low"}' });
    return;
  }
  for (const [k, v] of Object.entries(d)) {
    const rule = defaultRule(k, v, model);
    if (rule === undefined) continue;
    const spec = DEFAULT_KEYS[k as keyof ProviderDefaults];
    // the value is shown where it is one the rule speaks of
    const shown = spec && (spec.integer || (typeof v === "string" && v !== "")) ? { value: String(v) } : {};
    issues.push({ field: `${at}.${k}`, ...shown, rule });
  }
}

function checkProvider(name: string, p: unknown, all: Record<string, unknown>, issues: ConfigIssue[]): void {
  const at = `providers.${name}`;
  if (!PROVIDER_NAME.test(name)) issues.push({ field: at, rule: "name must be letters, digits, _ or - (max 64)" });
  if (!isObject(p)) {
    issues.push({ field: at, rule: "must be an object" });
    return;
  }
  for (const k of Object.keys(p)) if (!PROVIDER_KEYS.has(k)) issues.push({ field: `${at}.${k}`, rule: "unknown key" });
  if (p.profile !== undefined && !PROFILE_NAMES.includes(p.profile as ProfileNameCli)) {
    issues.push({
      field: `${at}.profile`,
      value: String(p.profile),
      rule: `must be one of ${PROFILE_NAMES.join(", ")}`,
    });
  }
  // Caught here, a typo fails at `config set`, not at the next generate with a message about "baseUrl".
  if (isStr(p.baseUrl) && !isHttpUrl(p.baseUrl)) {
    issues.push({
      field: `${at}.baseUrl`,
      value: p.baseUrl,
      rule: "must be an absolute http(s) URL such as https://example.com/v1",
    });
  }
  for (const k of ["baseUrl", "model"] as const) {
    if (p[k] !== undefined && !isStr(p[k])) issues.push({ field: `${at}.${k}`, rule: "must be a non-empty string" });
  }
  if (p.apiKey !== undefined && (!isStr(p.apiKey) || /\s/.test(p.apiKey))) {
    issues.push({ field: `${at}.apiKey`, rule: "must be a non-empty string without spaces" });
  }
  if (p.keyEnv !== undefined && !(isStr(p.keyEnv) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.keyEnv))) {
    issues.push({ field: `${at}.keyEnv`, rule: "must be an environment variable name" });
  }
  if (p.jsonEdits !== undefined && typeof p.jsonEdits !== "boolean") {
    issues.push({ field: `${at}.jsonEdits`, rule: "must be true or false" });
  }
  if (p.fixedModel !== undefined && typeof p.fixedModel !== "boolean") {
    issues.push({ field: `${at}.fixedModel`, rule: "must be true or false" });
  }
  if (p.extraBody !== undefined && !isObject(p.extraBody))
    issues.push({ field: `${at}.extraBody`, rule: "must be an object" });
  for (const k of ["paths", "fields"] as const) {
    const v = p[k];
    if (v === undefined) continue;
    if (!isObject(v) || !Object.values(v).every(isStr))
      issues.push({ field: `${at}.${k}`, rule: "must map names to strings" });
  }
  if (p.defaults !== undefined)
    checkDefaults(`${at}.defaults`, p.defaults, isStr(p.model) ? p.model : undefined, issues);
  if (p.fallbacks !== undefined) {
    if (!Array.isArray(p.fallbacks) || !p.fallbacks.every(isStr)) {
      issues.push({ field: `${at}.fallbacks`, rule: "must be a list of provider names" });
    } else {
      for (const f of p.fallbacks) {
        if (f === name) issues.push({ field: `${at}.fallbacks`, rule: `must not name the provider itself (${f})` });
        else if (!isKnownProvider(f, all)) {
          issues.push({ field: `${at}.fallbacks`, value: f, rule: "names an unknown provider" });
        }
      }
    }
  }
}

/** A name the config's providers or core's profiles (the built-in providers) give. */
function isKnownProvider(name: string, providers: unknown): boolean {
  return (isObject(providers) && Object.hasOwn(providers, name)) || PROFILE_NAMES.includes(name as ProfileNameCli);
}

function knownProviderRule(providers: unknown): string {
  const own = isObject(providers) ? Object.keys(providers) : [];
  return `names an unknown provider (one of ${[...own, ...PROFILE_NAMES].join(", ")})`;
}

/** The problems of a config (`checkConfig`'s) that `known` (the file's before a change) did not have. */
export function newIssues(issues: readonly ConfigIssue[], known: readonly ConfigIssue[]): ConfigIssue[] {
  const had = new Set(known.map(formatConfigIssue));
  return issues.filter((i) => !had.has(formatConfigIssue(i)));
}

/** Every problem in a parsed config file, each naming its field. */
export function checkConfig(c: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObject(c)) return [{ field: "(root)", rule: "must be a JSON object" }];
  for (const k of Object.keys(c)) {
    if (!["provider", "providers", "endpoint", "rates", "media", "$schema"].includes(k))
      issues.push({ field: k, rule: "unknown key" });
  }
  if (c.media !== undefined && typeof c.media !== "boolean")
    issues.push({ field: "media", rule: "must be true or false" });
  if (c.provider !== undefined && !isStr(c.provider))
    issues.push({ field: "provider", rule: "must be a provider name" });
  // "default" is the built-in openai provider's other name
  else if (isStr(c.provider) && c.provider !== "default" && !isKnownProvider(c.provider, c.providers))
    issues.push({ field: "provider", value: c.provider, rule: knownProviderRule(c.providers) });
  if (c.providers !== undefined) {
    if (!isObject(c.providers)) issues.push({ field: "providers", rule: "must be an object of named providers" });
    else for (const [name, p] of Object.entries(c.providers)) checkProvider(name, p, c.providers, issues);
  }
  if (c.endpoint !== undefined) {
    const e = c.endpoint;
    if (!isObject(e)) issues.push({ field: "endpoint", rule: "must be an object with url and token" });
    else {
      if (e.url !== undefined && !(isStr(e.url) && /^https?:\/\//.test(e.url))) {
        issues.push({ field: "endpoint.url", value: String(e.url), rule: "must be an http(s) URL" });
      }
      if (e.token !== undefined && !isStr(e.token)) issues.push({ field: "endpoint.token", rule: "must be a string" });
    }
  }
  if (c.rates !== undefined) {
    if (!isObject(c.rates)) issues.push({ field: "rates", rule: "must map models to rates" });
    else {
      for (const [model, r] of Object.entries(c.rates)) {
        if (!isObject(r)) {
          issues.push({ field: `rates.${model}`, rule: "must be an object" });
          continue;
        }
        for (const [k, v] of Object.entries(r)) {
          if (!["textInput", "imageInput", "imageOutput"].includes(k))
            issues.push({ field: `rates.${model}.${k}`, rule: "unknown key" });
          else if (typeof v !== "number" || !(v >= 0))
            issues.push({ field: `rates.${model}.${k}`, rule: "must be a number >= 0 (USD per million tokens)" });
        }
      }
    }
  }
  return issues;
}
