import { IMAGE_OPTION_LIST, type ImageFlagName, type ImageOption, PROFILE_NAMES, PROFILES } from "@gptimg/core";
import type { FlagDef } from "./flags.ts";

/**
 * The tables the CLI derives from core's option and profile tables. Modules import these
 * functions `with { type: "macro" }`: when the binary is built, Bun runs them and puts their
 * results in the bundle as literals, so no command evaluates core's option table or builds the
 * flag table at start. Under Node (the unit tests) the same functions run at import.
 */

/** A core image option as a flag. */
function imageFlag(o: ImageOption): FlagDef {
  const cli = o.cli;
  const def: FlagDef = { type: o.type === "boolean" ? "boolean" : "string", help: o.help };
  if (cli?.short) def.short = cli.short;
  if (cli?.value) def.value = cli.value;
  if (cli?.aliases?.length) def.aliases = [...cli.aliases];
  if (o.type === "images") def.multiple = true;
  if (o.type === "images" || o.type === "image") def.file = true;
  if (o.type === "enum" && o.values) def.choices = [...o.values];
  if (o.type === "size" && o.values) def.suggest = [...o.values];
  return def;
}

/** The image flags, keyed by their CLI names, from core's IMAGE_OPTIONS. */
export function imageFlags(): Record<ImageFlagName, FlagDef> {
  return Object.fromEntries(IMAGE_OPTION_LIST.flatMap((o) => (o.cli ? [[o.cli.flag, imageFlag(o)]] : []))) as Record<
    ImageFlagName,
    FlagDef
  >;
}

/** CLI names of the image options one operation takes and the other does not (or both: "both"). */
export function imageFlagsOf(only: "generate" | "edit" | "both"): ImageFlagName[] {
  return IMAGE_OPTION_LIST.filter((o) => {
    const g = o.operations.includes("generate");
    const e = o.operations.includes("edit");
    return o.cli && (only === "both" ? g && e : only === "generate" ? g && !e : e && !g);
  }).map((o) => o.cli?.flag as ImageFlagName);
}

/**
 * Each image option's wire field and the flag a person types for it: `output_format` → `--format`.
 * The input images are left out: `-i` and `--image-url` both give them.
 */
export function flagsByWire(): Record<string, string> {
  return Object.fromEntries(
    IMAGE_OPTION_LIST.flatMap((o) => (o.cli && o.type !== "images" ? [[o.wire, `--${o.cli.flag}`]] : [])),
  );
}

/** Core's provider profiles, in its order. */
export function profileNames(): string[] {
  return [...PROFILE_NAMES];
}

/** The profiles that come with a base URL of their own (`--provider` takes them by name). */
export function profilesWithBaseUrl(): string[] {
  return PROFILE_NAMES.filter((p) => PROFILES[p].baseUrl);
}

/**
 * Each profile's own key variable and where it may go, from core's `PROFILES`, e.g.
 * "OPENAI_API_KEY (only to OPENAI_BASE_URL when that is set, else only to api.openai.com)".
 */
export function profileKeyVariables(): string {
  return PROFILE_NAMES.flatMap((name) => {
    const { keyVariable, baseUrlVariable, baseUrl } = PROFILES[name];
    if (keyVariable === undefined || baseUrl === undefined) return [];
    const host = new URL(baseUrl).host;
    const where = baseUrlVariable ? `${baseUrlVariable} when that is set, else only to ${host}` : host;
    // the WellAPI seed's rule (config/provider-settings.ts): its key alone picks its profile
    const picks = name === "wellapi" ? "; when no other key is set it selects the wellapi profile" : "";
    return [`${keyVariable} (only to ${where}${picks})`];
  }).join("; ");
}
