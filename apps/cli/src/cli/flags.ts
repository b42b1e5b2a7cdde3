/**
 * Every flag of every command, defined once. Commands list the names they accept; the parser,
 * the help text and the shell completions are all generated from this table.
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
}

export const FLAGS = {
  help: { type: "boolean", short: "h", help: "show help for the command" },
  // prompt and request shape
  "prompt-file": { type: "string", value: "FILE", help: "read the prompt from FILE (- for stdin)" },
  n: { type: "string", short: "n", value: "N", help: "number of images, 1-10 (default 1)" },
  size: {
    type: "string",
    short: "s",
    value: "SIZE",
    help: "auto, a preset (1536x1024), an alias (square, landscape, portrait, 2k, 4k), a ratio (16:9) or WxH",
  },
  quality: {
    type: "string",
    short: "q",
    value: "Q",
    help: "low, medium, high or auto",
    choices: ["low", "medium", "high", "auto"],
  },
  format: { type: "string", short: "f", value: "FMT", help: "png, jpeg or webp", choices: ["png", "jpeg", "webp"] },
  compression: { type: "string", value: "0-100", help: "output compression for jpeg/webp" },
  background: {
    type: "string",
    value: "BG",
    help: "auto, opaque or transparent",
    choices: ["auto", "opaque", "transparent"],
  },
  moderation: { type: "string", value: "M", help: "low or auto", choices: ["low", "auto"] },
  model: { type: "string", value: "MODEL", help: "model name (default from the provider, gpt-image-2)" },
  stream: { type: "boolean", help: "stream the response and save partial images as they arrive" },
  "partial-images": { type: "string", value: "0-3", help: "partial images to request with --stream (default 2)" },
  extra: {
    type: "string",
    multiple: true,
    value: "KEY=VALUE",
    help: "extra body field (value parsed as JSON when it parses)",
  },
  "extra-json": { type: "string", value: "JSON", help: "extra body fields as one JSON object" },
  user: { type: "string", value: "ID", help: "end-user identifier sent to the provider" },
  // edit inputs
  image: { type: "string", short: "i", multiple: true, value: "IMAGE", help: "input image (repeat for up to 16)" },
  mask: { type: "string", value: "MASK.png", help: "PNG mask with alpha, same size as the first image" },
  "input-fidelity": { type: "string", value: "F", help: "high or low", choices: ["high", "low"] },
  // output
  out: {
    type: "string",
    short: "o",
    value: "FILE|DIR",
    help: "output file or directory (default: current directory); FILE.jpg or .webp without -f asks for that format",
  },
  force: { type: "boolean", help: "overwrite existing files" },
  json: { type: "boolean", help: "print one JSON envelope on stdout" },
  media: { type: "boolean", help: "print MEDIA:<path> lines on stdout" },
  "dry-run": { type: "boolean", help: "print the request that would be sent and exit" },
  timeout: { type: "string", value: "SECONDS", help: "per-attempt timeout, e.g. 300, 90s, 5m (default 600s)" },
  // route and credentials
  provider: { type: "string", value: "NAME", help: "named provider from the config (or openai, wellapi)" },
  "api-key": { type: "string", value: "KEY", help: "provider API key (prefer gptimg login or GPTIMG_API_KEY)" },
  "base-url": { type: "string", value: "URL", help: "provider API root, e.g. https://api.openai.com/v1" },
  endpoint: { type: "string", value: "URL", help: "team Worker endpoint (the Worker route)" },
  token: { type: "string", value: "TOKEN", help: "team token for --endpoint (prefer GPTIMG_TOKEN)" },
  config: { type: "string", value: "FILE", help: "config file (default $XDG_CONFIG_HOME/gptimg/config.json)" },
  // login / config
  profile: {
    type: "string",
    value: "PROFILE",
    help: "provider profile for a new provider",
    choices: ["openai", "wellapi", "openai-compatible", "chat", "custom"],
  },
  all: { type: "boolean", help: "remove every stored key and token" },
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

export type FlagName = keyof typeof FLAGS;

/** Values as parsed: strings, string lists for `multiple`, booleans. */
export type FlagValues = Partial<Record<FlagName, string | string[] | boolean>>;

const ROUTE: FlagName[] = ["provider", "api-key", "base-url", "endpoint", "token", "config", "timeout"];
const OUTPUT: FlagName[] = ["out", "force", "json", "media", "dry-run"];
const IMAGE: FlagName[] = [
  "prompt-file",
  "n",
  "size",
  "quality",
  "format",
  "compression",
  "background",
  "moderation",
  "model",
  "stream",
  "partial-images",
  "extra",
  "extra-json",
  "user",
];

/** Flag groups shared by several commands. */
export const GROUPS = {
  route: ROUTE,
  output: OUTPUT,
  image: IMAGE,
  edit: ["image", "mask", "input-fidelity"] as FlagName[],
};
