/**
 * Every binding, variable and secret of the gptimg Worker, in one declaration. Each doc comment
 * starts with its kind: bindings are declared in `wrangler.jsonc`; "Var:" values in its `vars`
 * (or `.dev.vars` locally); "Secret:" values are set with `wrangler secret put NAME` (locally in
 * `.dev.vars`, see `.dev.vars.example`), are listed in `SECRET_NAMES` below and are redacted from
 * every output. `env.test.ts` checks this file against `SECRET_NAMES`, `wrangler.jsonc`,
 * `.dev.vars.example` and docs/worker.md.
 */
export interface Env {
  /** R2 bucket holding generated images and edit inputs, keyed `t/<team>/<yyyy>/<mm>/<job>/<i>.<ext>`. */
  IMAGES: R2Bucket;
  /** D1 database: tokens, jobs, usage, idempotency keys, webhook event ids. */
  DB: D1Database;
  /** Workers Images binding: makes the console's history thumbnails (optional; none without it). */
  IMAGES_API?: ImagesBinding;
  /** Static assets of the console (apps/console/dist), served at `/`. */
  ASSETS?: Fetcher;
  /** Workflow running image jobs: step one generates and stores, step two delivers. */
  IMAGE_JOBS: Workflow;

  /** Secret: key of the primary provider. Never leaves the Worker. */
  PROVIDER_API_KEY?: string;
  /** Var: API root of the primary provider, e.g. https://api.openai.com/v1. */
  PROVIDER_BASE_URL: string;
  /** Var: profile of the primary provider, one of core's `PROFILE_NAMES` (checked by core when providers resolve). */
  PROVIDER_PROFILE: string;
  /** Var: default model. */
  PROVIDER_MODEL: string;
  /**
   * Var: JSON array of fallback providers, each a core ProviderConfig without `apiKey`;
   * the key of fallback NAME comes from the secret `PROVIDER_API_KEY_<NAME>` (upper-cased).
   */
  PROVIDER_FALLBACKS?: string;
  /** Var: `b64_json` or `url` for every request naming none; unset: OpenAI's default per model (url for dall-e, else b64_json). */
  DEFAULT_RESPONSE_FORMAT?: string;
  /** Var: default signed URL lifetime in seconds (default 3600, at most 604800). */
  SIGNED_URL_TTL_SECONDS?: string;
  /** Var: JSON per-model rates in USD per million tokens, for usage and cost. */
  MODEL_RATES?: string;
  /** Var: public origin used to sign URLs when a job was not created through HTTP (chat bots), e.g. https://img.example.com */
  PUBLIC_BASE_URL?: string;
  /** Var: "true" lets `callback_url` use http://127.0.0.1 / http://localhost (local development only). */
  ALLOW_LOCAL_CALLBACKS?: string;
  /**
   * Var: "true" lets the provider decide what gptimg's per-model table would refuse, for every
   * request of the deployment (chat bots included); "false" or unset checks it. A request's
   * `Gptimg-Skip-Model-Rules` header wins over it.
   */
  SKIP_MODEL_RULES?: string;
  /** Var: largest `/mcp` tool result in bytes; inline previews are left out beyond it (default 1048576). */
  MCP_MAX_RESULT_BYTES?: string;

  /** Secret: bearer token for /admin routes. */
  ADMIN_TOKEN?: string;
  /** Secret: JSON `{ "<kid>": "<key>" }`; the last kid signs, all verify. */
  SIGNING_KEYS?: string;

  /** Var: JSON allow-list and member mapping of workspaces, guilds and chats; see webhooks/teams.ts and docs/chat-bots.md. */
  CHAT_TEAMS?: string;
  /** Secret: Slack app's signing secret; verifies `POST /webhooks/slack`. */
  SLACK_SIGNING_SECRET?: string;
  /** Secret: Slack bot token (`xoxb-…`); posts results and reads shared files. */
  SLACK_BOT_TOKEN?: string;
  /** Var: Slack Web API base (default https://slack.com/api); tests point it at a local fake. */
  SLACK_API_BASE: string;
  /** Var: Discord application's public key (hex, not secret); verifies `POST /webhooks/discord`. */
  DISCORD_PUBLIC_KEY?: string;
  /** Var: Discord application id (not secret); addresses interaction follow-ups. */
  DISCORD_APPLICATION_ID?: string;
  /** Secret: Discord bot token; reads attachments. */
  DISCORD_BOT_TOKEN?: string;
  /** Var: Discord API base (default https://discord.com/api/v10); tests point it at a local fake. */
  DISCORD_API_BASE: string;
  /** Secret: Telegram bot token; calls the Bot API. */
  TELEGRAM_BOT_TOKEN?: string;
  /** Secret: `secret_token` given to setWebhook; verifies `POST /webhooks/telegram`. */
  TELEGRAM_SECRET_TOKEN?: string;
  /** Var: Telegram Bot API base (default https://api.telegram.org); tests point it at a local fake. */
  TELEGRAM_API_BASE: string;
  /** Var: Feishu/Lark app id (not secret); with the app secret, gets tenant access tokens. */
  FEISHU_APP_ID?: string;
  /** Secret: Feishu/Lark app secret. */
  FEISHU_APP_SECRET?: string;
  /** Secret: Feishu/Lark event Encrypt Key; verifies and decrypts `POST /webhooks/feishu`. */
  FEISHU_ENCRYPT_KEY?: string;
  /** Secret: Feishu/Lark verification token, checked in the URL-verification challenge. */
  FEISHU_VERIFICATION_TOKEN?: string;
  /** Var: Feishu/Lark open API base (default https://open.feishu.cn/open-apis); tests point it at a local fake. */
  FEISHU_API_BASE: string;

  /** Secret: key of fallback provider NAME, `PROVIDER_API_KEY_<NAME>`. */
  [key: `PROVIDER_API_KEY_${string}`]: string | undefined;
}

/** Names of the fixed secrets of `Env` (fallback keys `PROVIDER_API_KEY_<NAME>` are found by prefix). */
export const SECRET_NAMES = [
  "PROVIDER_API_KEY",
  "ADMIN_TOKEN",
  "SIGNING_KEYS",
  "SLACK_SIGNING_SECRET",
  "SLACK_BOT_TOKEN",
  "DISCORD_BOT_TOKEN",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_SECRET_TOKEN",
  "FEISHU_APP_SECRET",
  "FEISHU_ENCRYPT_KEY",
  "FEISHU_VERIFICATION_TOKEN",
] as const satisfies readonly (keyof Env)[];
