import type { Env } from "../env.ts";

/** The caller behind a member token, set by `memberAuth()` as `c.var.member`. */
export interface Member {
  tokenId: string;
  team: string;
  member: string;
  /** allowed models; null = every model */
  models: string[] | null;
  /** images per UTC day for this token; null = unlimited */
  dailyImageQuota: number | null;
  /** image requests per minute for this token; null = unlimited */
  rpm: number | null;
}

/**
 * Hono environment of every router in the Worker.
 * @example
 * const router = new Hono<AppEnv>();
 */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    member: Member;
    /** SHA-256 hex of the request's member token, set by `memberAuth()` */
    tokenHash: string;
    /** the quota hold `enforceQuota` took for this request, released by `memberAuth()` */
    quotaHold?: string;
    /**
     * the request's work when it outlives its response (an SSE stream whose client left): the
     * quota hold is released once it is done, when its usage is recorded
     */
    settled?: Promise<void>;
  };
}
