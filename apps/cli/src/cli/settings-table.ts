import { profileKeyVariables } from "./core-tables.ts" with { type: "macro" };

/**
 * Where each setting comes from, highest first within a row: the flag, then the variables in
 * the order listed (each read from the environment, then from `./.env`), then the config file.
 * `gptimg help config` prints it and docs/cli.md carries the same table (a test compares them).
 */
export interface SettingRow {
  setting: string;
  flag: string;
  variables: string;
  config: string;
}

export const SETTINGS: readonly SettingRow[] = [
  { setting: "config file", flag: "--config", variables: "GPTIMG_CONFIG (environment only, never ./.env)", config: "" },
  { setting: "provider", flag: "--provider", variables: "GPTIMG_PROVIDER", config: "provider" },
  {
    setting: "base URL",
    flag: "--base-url",
    variables:
      "GPTIMG_BASE_URL; while no provider is chosen by name (flag, GPTIMG_PROVIDER or config provider): GPT_IMAGE2_BASE_URL, then OPENAI_BASE_URL",
    config: "providers.NAME.baseUrl",
  },
  {
    setting: "API key",
    flag: "--api-key",
    variables: `GPTIMG_API_KEY (to the base URL in use); GPT_IMAGE2_API_KEY (only to GPT_IMAGE2_BASE_URL); ${profileKeyVariables()}. A key from the environment never goes to a base URL only ./.env names`,
    config: "providers.NAME.apiKey or keyEnv (only to that provider's own base URL)",
  },
  {
    setting: "request paths",
    flag: "",
    variables:
      "GPT_IMAGE2_GENERATE_PATH, GPT_IMAGE2_EDIT_PATH (no provider chosen by name; a GPT_IMAGE2_BASE_URL without a path means its /v1)",
    config: "providers.NAME.paths.generations, .edits",
  },
  {
    setting: "model",
    flag: "--model",
    variables: "GPTIMG_MODEL, then OPENAI_IMAGE_MODEL",
    config: "providers.NAME.model",
  },
  {
    setting: "protocol",
    flag: "--protocol openai_images|openai_chat",
    variables: "OPENAI_IMAGE_PROTOCOL",
    config: "providers.NAME.profile chat",
  },
  { setting: "timeout", flag: "--timeout", variables: "GPT_IMAGE2_TIMEOUT_SECONDS", config: "" },
  {
    setting: "size, quality, n, format, compression, background, moderation",
    flag: "-s, -q, -n, -f, --compression, --background, --moderation",
    variables:
      "OPENAI_IMAGE_SIZE, OPENAI_IMAGE_QUALITY, OPENAI_IMAGE_N, OPENAI_IMAGE_OUTPUT_FORMAT (or OPENAI_IMAGE_FORMAT), OPENAI_IMAGE_OUTPUT_COMPRESSION, OPENAI_IMAGE_BACKGROUND, OPENAI_IMAGE_MODERATION",
    config: "providers.NAME.defaults.quality, .size, .format, .compression, .background, .moderation, .n",
  },
  {
    setting: "response format, partial images, input fidelity, style, stream, user, extra body",
    flag: "--response-format, --partial-images, --input-fidelity, --style, --stream, --user, --extra-json",
    variables:
      "OPENAI_IMAGE_RESPONSE_FORMAT, OPENAI_IMAGE_PARTIAL_IMAGES, OPENAI_IMAGE_INPUT_FIDELITY, OPENAI_IMAGE_STYLE, OPENAI_IMAGE_STREAM, OPENAI_IMAGE_USER, OPENAI_IMAGE_EXTRA_JSON",
    config: "providers.NAME.extraBody (a default: never replaces an option that is set)",
  },
  { setting: "Worker endpoint", flag: "--endpoint", variables: "GPTIMG_ENDPOINT", config: "endpoint.url" },
  {
    setting: "team token",
    flag: "--token",
    variables: "GPTIMG_TOKEN (never sent to an endpoint only ./.env names)",
    config: "endpoint.token (only to its own endpoint)",
  },
  { setting: "MEDIA: lines", flag: "--media", variables: "GPTIMG_MEDIA=1", config: "media: true" },
];

const INTRO = [
  "Each setting: the flag, then the variables in the order given (each from the environment, then",
  "from ./.env in the working directory), then the config file. `gptimg doctor` names where each came from.",
];

/** The table as Markdown (docs/cli.md). */
export function settingsMarkdown(): string {
  const cell = (s: string) => (s === "" ? "" : s.replace(/\|/g, "\\|"));
  return [
    "| setting | flag | variables (environment, then ./.env) | config file |",
    "|---|---|---|---|",
    ...SETTINGS.map((r) => `| ${r.setting} | ${cell(r.flag)} | ${cell(r.variables)} | ${cell(r.config)} |`),
  ].join("\n");
}

/** The table as plain text (`gptimg help config`). */
export function settingsText(): string[] {
  const lines = ["settings, highest first:", ...INTRO.map((l) => `  ${l}`), ""];
  for (const r of SETTINGS) {
    lines.push(`  ${r.setting}`);
    if (r.flag) lines.push(`    flag:      ${r.flag}`);
    lines.push(`    variables: ${r.variables}`);
    if (r.config) lines.push(`    config:    ${r.config}`);
  }
  return lines;
}
