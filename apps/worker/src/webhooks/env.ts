import type { JobsEnv } from "../jobs/types.ts";

/** Vars the chat bots read beyond `Env`. */
export interface WebhookVars {
  /** JSON allow-list and member mapping of workspaces, guilds and chats; see teams.ts and docs/chat-bots.md */
  CHAT_TEAMS?: string;
}

/** Bindings seen by the webhook routes and by `deliverChat`. */
export type WebhookEnv = JobsEnv & WebhookVars;

/** Hono environment of the webhook router. */
export interface WebhookAppEnv {
  Bindings: WebhookEnv;
}
