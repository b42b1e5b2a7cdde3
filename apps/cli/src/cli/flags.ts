import type { ImageFlagName } from "@gptimg/core";
import { imageFlags, imageFlagsOf, profileNames, profilesWithBaseUrl } from "./core-tables.ts" with { type: "macro" };

/**
 * Every flag of every command, defined once. The image flags (size, quality, format…) come from
 * core's option table (through cli/core-tables.ts, evaluated when the binary is built); the rest
 * are the CLI's own. Commands list the names they accept; the
 * parser, the help text, the shell completions and the batch keys are all generated from this.
 */
export interface FlagDef {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** placeholder shown in help, e.g. FILE */
  value?: string;
  help: string;
  /** fixed choices, shown in help and offered by completions */
  choices?: readonly string[];
  /** values offered by completions that are not the only ones accepted (e.g. sizes) */
  suggest?: readonly string[];
  /** further long names for the same flag */
  aliases?: readonly string[];
  /** the value is a path: completions offer files */
  file?: boolean;
}

/** The image flags, keyed by their CLI names: core's IMAGE_OPTIONS, resolved when the binary is built. */
const IMAGE_FLAGS: Record<ImageFlagName, FlagDef> = imageFlags();

/** The CLI's own flags (not image options). */
const CLI_FLAGS = {
  help: { type: "boolean", short: "h", help: "show help for the command" },
  // prompt and request shape
  prompt: { type: "string", value: "TEXT", help: "the prompt (instead of PROMPT words)" },
  "prompt-file": { type: "string", value: "FILE", help: "read the prompt from FILE (- for stdin)", file: true },
  extra: {
    type: "string",
    multiple: true,
    value: "KEY=VALUE",
    help: "extra body field (value parsed as JSON when it parses)",
  },
  "extra-json": { type: "string", value: "JSON", help: "extra body fields as one JSON object" },
  "skip-model-rules": {
    type: "boolean",
    help: "send what gptimg's model table refuses (a size, value or limit it says is not the model's) and let the provider decide",
  },
  // output
  out: {
    type: "string",
    short: "o",
    value: "FILE|DIR",
    aliases: ["output"],
    help: "output file or directory (default: the current directory). A directory when it exists or ends with /; a path without an image extension that does not exist is a directory when -n > 1, else the file name (.png added); FILE.jpg or .webp without -f asks for that format",
    file: true,
  },
  force: { type: "boolean", help: "overwrite existing files" },
  json: { type: "boolean", help: "print one JSON envelope on stdout" },
  media: { type: "boolean", help: "print MEDIA:<path> lines on stdout" },
  "dry-run": {
    type: "boolean",
    help: "print the request that would be sent and exit (nothing is sent, no input URL downloaded)",
  },
  timeout: { type: "string", value: "SECONDS", help: "per-attempt timeout, e.g. 300, 90s, 5m (default 600s)" },
  // route and credentials
  provider: {
    type: "string",
    value: "NAME",
    help: `named provider from the config (or ${profilesWithBaseUrl().join(", ")})`,
  },
  "api-key": { type: "string", value: "KEY", help: "provider API key (prefer gptimg login or GPTIMG_API_KEY)" },
  "base-url": { type: "string", value: "URL", help: "provider API root, e.g. https://api.openai.com/v1" },
  protocol: {
    type: "string",
    value: "P",
    help: "openai_images (the Images API) or openai_chat (chat/completions, for endpoints without /images)",
    choices: ["openai_images", "openai_chat"],
  },
  "image-url": {
    type: "string",
    multiple: true,
    value: "URL",
    help: "reference image by http(s) URL (repeatable), edited with the prompt: sent by URL (the JSON edit form) when the provider takes it, else downloaded and sent as a file",
  },
  endpoint: { type: "string", value: "URL", help: "team Worker endpoint (the Worker route)" },
  token: { type: "string", value: "TOKEN", help: "team token for --endpoint (prefer GPTIMG_TOKEN)" },
  config: {
    type: "string",
    value: "FILE",
    help: "config file (default $XDG_CONFIG_HOME/gptimg/config.json)",
    file: true,
  },
  // mcp
  "max-result-bytes": {
    type: "string",
    value: "BYTES",
    help: "largest MCP tool result; inline previews are left out beyond it (default 1048576, at least 16384)",
  },
  // login / config
  profile: {
    type: "string",
    value: "PROFILE",
    help: "provider profile for a new provider",
    choices: profileNames(),
  },
  all: { type: "boolean", help: "remove every stored key and token" },
  default: { type: "boolean", help: "make this provider the default one" },
  import: { type: "boolean", help: "store the config files of the image skills gptimg replaces as providers" },
  // doctor
  "check-update": {
    type: "boolean",
    help: "also ask the release host whether a newer gptimg exists (never asked otherwise)",
  },
  // skill
  agent: {
    type: "string",
    value: "AGENT",
    help: "the agent whose skill folder to use (default claude)",
    choices: ["claude", "codex", "openclaw", "cursor"],
  },
  dir: {
    type: "string",
    value: "DIR",
    help: "skills directory to install into (the skill goes in DIR/gptimg)",
    file: true,
  },
  project: { type: "boolean", help: "the project's skill folder (in the working directory) instead of the user's" },
  // batch
  concurrency: { type: "string", short: "c", value: "N", help: "jobs run at once (default 2)" },
  // jobs / admin
  limit: { type: "string", value: "N", help: "how many to list (default 20)" },
  cursor: { type: "string", value: "CURSOR", help: "page cursor from a previous list" },
  scope: { type: "string", value: "SCOPE", help: "member or team", choices: ["member", "team"] },
  "admin-token": { type: "string", value: "TOKEN", help: "admin token (prefer GPTIMG_ADMIN_TOKEN)" },
  team: { type: "string", value: "TEAM", help: "team name" },
  member: { type: "string", value: "NAME", help: "member name" },
  "expires-in-days": { type: "string", value: "DAYS", help: "token lifetime in days" },
  models: { type: "string", value: "LIST", help: "comma-separated models the token may use" },
  "daily-image-quota": { type: "string", value: "N", help: "images per member per day" },
  rpm: { type: "string", value: "N", help: "requests per minute" },
  from: { type: "string", value: "YYYY-MM-DD", help: "first day" },
  to: { type: "string", value: "YYYY-MM-DD", help: "last day" },
} as const satisfies Record<string, FlagDef>;

export type FlagName = keyof typeof CLI_FLAGS | ImageFlagName;

export const FLAGS: Readonly<Record<FlagName, FlagDef>> = { ...CLI_FLAGS, ...IMAGE_FLAGS };

/** Values as parsed: strings, string lists for `multiple`, booleans. */
export type FlagValues = Partial<Record<FlagName, string | string[] | boolean>>;

const ROUTE: FlagName[] = ["provider", "api-key", "base-url", "protocol", "endpoint", "token", "config", "timeout"];
const OUTPUT: FlagName[] = ["out", "force", "json", "media", "dry-run"];

/** Flag groups shared by several commands; the image groups follow core's option table. */
export const GROUPS = {
  route: ROUTE,
  output: OUTPUT,
  /** image options of both generate and edit, with the CLI's prompt and extra-body flags */
  image: ["prompt-file", ...imageFlagsOf("both"), "extra", "extra-json", "skip-model-rules"] as FlagName[],
  /** image options only generations take (style) */
  generate: imageFlagsOf("generate") as FlagName[],
  /** edit inputs and edit-only options */
  edit: imageFlagsOf("edit") as FlagName[],
};
