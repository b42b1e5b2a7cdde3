/** Every binding, variable and secret of the gptimg Worker. Secrets are set with `wrangler secret put`. */
export interface Env {
  /** R2 bucket holding generated images and edit inputs, keyed `t/<team>/<yyyy>/<mm>/<job>/<i>.<ext>`. */
  IMAGES: R2Bucket;
  /** D1 database: tokens, jobs, usage, idempotency keys, webhook event ids. */
  DB: D1Database;
  /** Workflow running image jobs: step one generates and stores, step two delivers. */
  IMAGE_JOBS: Workflow;

  /** Secret: key of the primary provider. Never leaves the Worker. */
  PROVIDER_API_KEY?: string;
  /** Var: API root of the primary provider, e.g. https://api.openai.com/v1. */
  PROVIDER_BASE_URL: string;
  /** Var: profile of the primary provider: openai | wellapi | openai-compatible | chat | custom. */
  PROVIDER_PROFILE: string;
  /** Var: default model. */
  PROVIDER_MODEL: string;
  /**
   * Var: JSON array of fallback providers, each a core ProviderConfig without `apiKey`;
   * the key of fallback NAME comes from the secret `PROVIDER_API_KEY_<NAME>` (upper-cased).
   */
  PROVIDER_FALLBACKS?: string;
  /** Var: `b64_json` (OpenAI's default) or `url`. */
  DEFAULT_RESPONSE_FORMAT?: string;
  /** Var: default signed URL lifetime in seconds (default 3600, at most 604800). */
  SIGNED_URL_TTL_SECONDS?: string;
  /** Var: JSON per-model rates in USD per million tokens, for usage and cost. */
  MODEL_RATES?: string;

  /** Secret: bearer token for /admin routes. */
  ADMIN_TOKEN?: string;
  /** Secret: JSON `{ "<kid>": "<key>" }`; the last kid signs, all verify. */
  SIGNING_KEYS?: string;

  SLACK_SIGNING_SECRET?: string;
  SLACK_BOT_TOKEN?: string;
  DISCORD_PUBLIC_KEY?: string;
  DISCORD_APPLICATION_ID?: string;
  DISCORD_BOT_TOKEN?: string;
  TELEGRAM_BOT_TOKEN?: string;
  TELEGRAM_SECRET_TOKEN?: string;
  FEISHU_APP_ID?: string;
  FEISHU_APP_SECRET?: string;
  FEISHU_ENCRYPT_KEY?: string;
  FEISHU_VERIFICATION_TOKEN?: string;
  /** Var: outbound API bases, overridable so tests reach local fakes. */
  SLACK_API_BASE: string;
  DISCORD_API_BASE: string;
  TELEGRAM_API_BASE: string;
  FEISHU_API_BASE: string;

  /** Fallback provider keys, `PROVIDER_API_KEY_<NAME>`. */
  [key: `PROVIDER_API_KEY_${string}`]: string | undefined;
}
