import { usageError } from "../cli/errors.ts";
import type { FlagValues } from "../cli/flags.ts";
import type { ProviderDefaults } from "./schema.ts";
import { type Sourced, type Sources, variable } from "./settings.ts";

/**
 * Request defaults from outside the flags, as the skills gptimg replaces spell them:
 * `OPENAI_IMAGE_*` variables (environment, then `./.env`), then the provider's `defaults` in the
 * config file. A flag always wins; a default only fills a flag that was not given.
 */
export const IMAGE_VARIABLES: readonly {
  variable: string;
  flag: string;
  /** the operation it applies to, when only one takes it */
  only?: "generate" | "edit";
  help: string;
}[] = [
  { variable: "OPENAI_IMAGE_SIZE", flag: "size", help: "size, e.g. 1024x1024 or 16:9" },
  { variable: "OPENAI_IMAGE_QUALITY", flag: "quality", help: "low, medium, high or auto" },
  { variable: "OPENAI_IMAGE_N", flag: "n", help: "number of images, 1-10" },
  { variable: "OPENAI_IMAGE_OUTPUT_FORMAT", flag: "format", help: "png, jpeg or webp" },
  { variable: "OPENAI_IMAGE_FORMAT", flag: "format", help: "older name of OPENAI_IMAGE_OUTPUT_FORMAT" },
  { variable: "OPENAI_IMAGE_OUTPUT_COMPRESSION", flag: "compression", help: "0-100 for jpeg/webp" },
  { variable: "OPENAI_IMAGE_BACKGROUND", flag: "background", help: "transparent, opaque or auto" },
  { variable: "OPENAI_IMAGE_MODERATION", flag: "moderation", help: "low or auto" },
  { variable: "OPENAI_IMAGE_RESPONSE_FORMAT", flag: "response-format", help: "url or b64_json (dall-e)" },
  { variable: "OPENAI_IMAGE_PARTIAL_IMAGES", flag: "partial-images", help: "0-3 partial images (with stream)" },
  { variable: "OPENAI_IMAGE_INPUT_FIDELITY", flag: "input-fidelity", only: "edit", help: "high or low (edits)" },
  { variable: "OPENAI_IMAGE_STYLE", flag: "style", only: "generate", help: "vivid or natural (dall-e-3)" },
  { variable: "OPENAI_IMAGE_STREAM", flag: "stream", help: "true or false" },
  { variable: "OPENAI_IMAGE_USER", flag: "user", help: "end-user identifier" },
  { variable: "OPENAI_IMAGE_EXTRA_JSON", flag: "extra-json", help: "JSON object merged into the body" },
  { variable: "GPT_IMAGE2_TIMEOUT_SECONDS", flag: "timeout", help: "per-attempt timeout in seconds" },
];

/** The config's `providers.NAME.defaults` keys and the flags they fill. */
export const CONFIG_DEFAULT_FLAGS: Readonly<Record<keyof ProviderDefaults, string>> = {
  quality: "quality",
  moderation: "moderation",
  size: "size",
  format: "format",
  compression: "compression",
  background: "background",
  n: "n",
};

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

/** The flags filled from defaults and where each value came from. */
export interface Defaulted {
  values: FlagValues;
  /** flag name → "OPENAI_IMAGE_QUALITY (environment)", "providers.x.defaults.quality (config)" */
  origins: Record<string, string>;
}

/**
 * `values` with every flag the user left out filled from `OPENAI_IMAGE_*` and then the
 * provider's config defaults. Only flags the command accepts (`accepted`) are filled, and a
 * variable for the other operation (input fidelity on a generation) is skipped.
 */
export function applyDefaults(
  values: FlagValues,
  s: Sources,
  kind: "generate" | "edit" | "doctor",
  accepted: readonly string[],
  provider?: { name: string; defaults?: ProviderDefaults },
): Defaulted {
  const out: Record<string, unknown> = { ...values };
  const origins: Record<string, string> = {};
  const given = (flag: string): boolean => out[flag] !== undefined;
  const set = (flag: string, value: unknown, origin: string): void => {
    out[flag] = value;
    origins[flag] = origin;
  };
  for (const v of IMAGE_VARIABLES) {
    if (!accepted.includes(v.flag) || given(v.flag) || (v.only && kind !== "doctor" && v.only !== kind)) continue;
    const found: Sourced | undefined = variable(s, v.variable);
    if (!found) continue;
    if (v.flag === "stream") {
      if (booleanOf(found)) set("stream", true, found.source);
      continue;
    }
    set(v.flag, found.value, found.source);
  }
  for (const [key, flag] of Object.entries(CONFIG_DEFAULT_FLAGS)) {
    const value = provider?.defaults?.[key as keyof ProviderDefaults];
    if (value === undefined || given(flag) || !accepted.includes(flag)) continue;
    set(flag, String(value), `providers.${provider?.name}.defaults.${key} (config)`);
  }
  return { values: out as FlagValues, origins };
}

/**
 * A boolean variable's value; any other spelling is refused with the variable, where it was set,
 * the value and the accepted spellings (a typo must not turn a setting on or off unseen).
 */
export function booleanOf(found: Sourced): boolean {
  const t = found.value.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw usageError(
    `${found.source} ${found.value}: must be one of ${[...TRUE].join(", ")} (to turn it on) or ${[...FALSE].filter(Boolean).join(", ")} (to turn it off)`,
  );
}

/** `GPTIMG_MEDIA=1` (environment, then .env) or the config's `media: true` turn MEDIA: lines on. */
export function mediaByDefault(s: Sources): Sourced | undefined {
  const v = variable(s, "GPTIMG_MEDIA");
  if (v) return booleanOf(v) ? v : undefined;
  return s.file.config.media === true ? { value: "true", source: `media (config ${s.file.path})` } : undefined;
}
