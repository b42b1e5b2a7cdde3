import { ValidationError } from "./errors/index.ts";
import { imageOption, wireNameFor } from "./options.ts";
import { shownUrl } from "./shown-url.ts";
import type { ProfileName, ProviderConfig, ValidationIssue } from "./types.ts";

/** Which HTTP protocol a provider speaks: the Images API or chat/completions with image parts. */
export type ProviderProtocol = "images" | "chat";

/** What a profile fills in when the config leaves it out. */
export interface ProfileDefaults {
  /** how messages name the profile's service ("OpenAI") */
  title: string;
  /** undefined: the config must give `baseUrl` */
  baseUrl: string | undefined;
  /**
   * The environment variable that conventionally holds this service's key. An app reading it
   * sends that key only to `baseUrl` (or to the host `baseUrlVariable` names, when set).
   */
  keyVariable?: string;
  /** the variable that may move `keyVariable`'s key to another host (`OPENAI_BASE_URL`) */
  baseUrlVariable?: string;
  protocol: ProviderProtocol;
  model: string;
  paths: { generations: string; edits: string; chat: string; models: string };
  /** `image` undefined: `image` for one file, `image[]` for several, as OpenAI's SDKs send them */
  fields: { outputFormat: string; image?: string; mask: string };
  /**
   * Whether its edits endpoint takes the spec's JSON edit form (`images: [{ image_url | file_id }]`),
   * so image URLs are sent as references for the provider to fetch; otherwise the caller
   * downloads them and sends files. A provider config's `jsonEdits` overrides it.
   */
  jsonEdits: boolean;
}

/** A provider with every default filled in, ready for the request builders and the client. */
export interface ResolvedProvider {
  readonly resolved: true;
  name: string;
  profile: ProfileName;
  protocol: ProviderProtocol;
  /** without a trailing slash */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  fixedModel: boolean;
  paths: { generations: string; edits: string; chat: string; models: string };
  fields: { outputFormat: string; image?: string; mask: string };
  jsonEdits: boolean;
  headers: Record<string, string>;
  extraBody: Record<string, unknown>;
}

const IMAGES_PATHS = {
  generations: "/images/generations",
  edits: "/images/edits",
  chat: "/chat/completions",
  models: "/models",
};
/** The option table's wire names for a profile (`outputFormat` is `format` on wellapi). */
const fieldsFor = (profile: ProfileName): ProfileDefaults["fields"] => ({
  outputFormat: outputFormatWire(profile),
  mask: "mask",
});
const outputFormatWire = (profile: ProfileName): string => {
  const option = imageOption("outputFormat");
  return option ? wireNameFor(option, profile) : "output_format";
};

/**
 * Profile defaults. `wellapi` names the output format `format` and repeats a plain `image`
 * field, as that gateway's API expects; `chat` is for endpoints that only have chat/completions.
 * @example
 * PROFILES.wellapi.fields.outputFormat // "format"
 */
export const PROFILES: Readonly<Record<ProfileName, ProfileDefaults>> = {
  openai: {
    title: "OpenAI",
    baseUrl: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseUrlVariable: "OPENAI_BASE_URL",
    protocol: "images",
    model: "gpt-image-2",
    paths: IMAGES_PATHS,
    fields: fieldsFor("openai"),
    // OpenAI's spec has POST /images/edits as application/json too (EditImageBodyJsonParam)
    jsonEdits: true,
  },
  wellapi: {
    title: "WellAPI",
    baseUrl: "https://wellapi.ai/v1",
    keyVariable: "WELLAPI_API_KEY",
    protocol: "images",
    model: "gpt-image-2",
    paths: IMAGES_PATHS,
    fields: { ...fieldsFor("wellapi"), image: "image" },
    // its edits API is documented as multipart with repeated `image` fields only
    jsonEdits: false,
  },
  "openai-compatible": {
    title: "an OpenAI-compatible API",
    baseUrl: undefined,
    protocol: "images",
    model: "gpt-image-2",
    paths: IMAGES_PATHS,
    fields: fieldsFor("openai-compatible"),
    // the JSON form is recent: most compatible servers and relays take multipart edits only
    jsonEdits: false,
  },
  chat: {
    title: "a chat/completions API",
    baseUrl: undefined,
    protocol: "chat",
    model: "gpt-image-2",
    paths: IMAGES_PATHS,
    fields: fieldsFor("chat"),
    // no edits endpoint: https URLs ride in the chat message's image_url parts instead
    jsonEdits: false,
  },
  custom: {
    title: "a custom API",
    baseUrl: undefined,
    protocol: "images",
    model: "gpt-image-2",
    paths: IMAGES_PATHS,
    fields: fieldsFor("custom"),
    // unknown until the config says so (`jsonEdits: true`)
    jsonEdits: false,
  },
};

/** Every profile's name, in `PROFILES` order: what configs, flags and help offer. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.keys(PROFILES) as ProfileName[];

const isProfile = (p: unknown): p is ProfileName => typeof p === "string" && Object.hasOwn(PROFILES, p);

// A header value with a line break would be rejected by fetch with a message that may quote it.
const BAD_HEADER_CHARS = /[\r\n\0]/;

function checkBaseUrl(value: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    issues.push({ field, value, rule: "required for this profile: an http(s) URL such as https://example.com/v1" });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.push({ field, value, rule: "must be an absolute http(s) URL such as https://example.com/v1" });
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    issues.push({ field, value, rule: "must use http or https" });
    return undefined;
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and dry-runs; the key belongs in apiKey.
    issues.push({
      field,
      value: `${url.protocol}//***@${url.host}`,
      rule: "must not contain credentials; put the key in apiKey",
    });
    return undefined;
  }
  if (url.search || url.hash) {
    // shown without them: a query is where some services take a key
    issues.push({
      field,
      value: shownUrl(url),
      rule: "must not contain a query or fragment",
    });
    return undefined;
  }
  return url.href.replace(/\/+$/, "");
}

function checkPath(value: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !value.startsWith("/") || /[\s?#]/.test(value)) {
    const shown = typeof value === "string" ? value.replace(/[?#][\s\S]*$/, "…") : value;
    issues.push({ field, value: shown, rule: "must be a path starting with / (no spaces, query or fragment)" });
    return undefined;
  }
  return value;
}

function checkName(value: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || BAD_HEADER_CHARS.test(value)) {
    issues.push({ field, value, rule: "must be a non-empty string on one line" });
    return undefined;
  }
  return value;
}

/** Collects every problem of one config; `prefix` is e.g. "providers[1]." in a list. */
function resolveInto(config: ProviderConfig, prefix: string, issues: ValidationIssue[]): ResolvedProvider | undefined {
  const before = issues.length;
  if (typeof config !== "object" || config === null) {
    issues.push({ field: prefix.replace(/\.$/, "") || "provider", value: config, rule: "must be an object" });
    return undefined;
  }
  const name = checkName(config.name, `${prefix}name`, issues);
  if (config.name === undefined)
    issues.push({ field: `${prefix}name`, value: undefined, rule: "required: a name for logs and results" });
  if (!isProfile(config.profile)) {
    issues.push({
      field: `${prefix}profile`,
      value: config.profile,
      rule: `must be one of ${PROFILE_NAMES.join(", ")}`,
    });
    return undefined;
  }
  const defaults = PROFILES[config.profile];
  const baseUrl = checkBaseUrl(config.baseUrl ?? defaults.baseUrl, `${prefix}baseUrl`, issues);
  if (
    config.apiKey !== undefined &&
    (typeof config.apiKey !== "string" || config.apiKey === "" || /[\s\0]/.test(config.apiKey))
  ) {
    // Never echo the key itself, not even in a validation error.
    issues.push({
      field: `${prefix}apiKey`,
      value: "***redacted***",
      rule: "must be a non-empty string without spaces or line breaks",
    });
  }
  const model = checkName(config.model, `${prefix}model`, issues);
  if (config.fixedModel && config.model === undefined) {
    issues.push({ field: `${prefix}model`, value: undefined, rule: "required when fixedModel is true" });
  }
  const paths = { ...defaults.paths };
  for (const key of ["generations", "edits", "chat", "models"] as const) {
    const p = checkPath(config.paths?.[key], `${prefix}paths.${key}`, issues);
    if (p) paths[key] = p;
  }
  const fields = { ...defaults.fields };
  for (const key of ["outputFormat", "image", "mask"] as const) {
    const f = checkName(config.fields?.[key], `${prefix}fields.${key}`, issues);
    if (f) fields[key] = f;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.headers ?? {})) {
    if (typeof v !== "string" || BAD_HEADER_CHARS.test(v) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) {
      issues.push({
        field: `${prefix}headers.${k}`,
        value: "***redacted***",
        rule: "must be a valid header name with a one-line string value",
      });
    } else headers[k] = v;
  }
  if (config.jsonEdits !== undefined && typeof config.jsonEdits !== "boolean") {
    issues.push({ field: `${prefix}jsonEdits`, value: config.jsonEdits, rule: "must be true or false" });
  }
  const extraBody = config.extraBody ?? {};
  if (typeof extraBody !== "object" || extraBody === null || Array.isArray(extraBody)) {
    issues.push({ field: `${prefix}extraBody`, value: extraBody, rule: "must be an object" });
  }
  if (issues.length > before || !name || !baseUrl) return undefined;
  return {
    resolved: true,
    name,
    profile: config.profile,
    protocol: defaults.protocol,
    baseUrl,
    apiKey: config.apiKey,
    model: model ?? defaults.model,
    fixedModel: config.fixedModel === true,
    paths,
    fields,
    jsonEdits: config.jsonEdits ?? defaults.jsonEdits,
    headers,
    extraBody,
  };
}

/**
 * Fills in a provider's profile defaults and checks it. Throws `ValidationError` naming every
 * bad field (`baseUrl`, `paths.edits`, …).
 * @example
 * resolveProvider({ name: "minimax", profile: "custom", baseUrl: "https://api.minimax.io/v1",
 *   paths: { generations: "/content/models/canvas-20/generations" }, model: "canvas-20", fixedModel: true })
 */
export function resolveProvider(config: ProviderConfig | ResolvedProvider): ResolvedProvider {
  if (isResolvedProvider(config)) return config;
  const issues: ValidationIssue[] = [];
  const resolved = resolveInto(config, "", issues);
  if (!resolved) throw new ValidationError(issues);
  return resolved;
}

/**
 * Resolves an ordered list (primary first). Problems name their place: `providers[1].baseUrl`.
 * @example
 * const [primary, backup] = resolveProviders([{ name: "a", profile: "openai" }, minimax])
 */
export function resolveProviders(configs: readonly ProviderConfig[]): ResolvedProvider[] {
  const issues: ValidationIssue[] = [];
  if (!Array.isArray(configs) || configs.length === 0) {
    throw new ValidationError([{ field: "providers", value: configs, rule: "must list at least one provider" }]);
  }
  const out = configs.map((c, i) => resolveInto(c, `providers[${i}].`, issues));
  const names = new Set<string>();
  configs.forEach((c, i) => {
    if (c && typeof c.name === "string" && names.has(c.name)) {
      issues.push({ field: `providers[${i}].name`, value: c.name, rule: "must be unique among providers" });
    }
    if (c) names.add(c.name);
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return out as ResolvedProvider[];
}

/** True for the output of `resolveProvider`. */
export const isResolvedProvider = (p: unknown): p is ResolvedProvider =>
  typeof p === "object" && p !== null && (p as { resolved?: unknown }).resolved === true;

/** The model to send: a fixed model wins over the caller's choice. */
export const modelFor = (p: ResolvedProvider, requested: string | undefined): string =>
  p.fixedModel ? p.model : (requested ?? p.model);

/** Full URL of one of the provider's endpoints. */
export const endpointUrl = (p: ResolvedProvider, path: keyof ResolvedProvider["paths"]): string =>
  `${p.baseUrl}${p.paths[path]}`;
