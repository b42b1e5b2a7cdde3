import type { Env } from "../env.ts";
import type { KeyedRequest } from "./idempotent-responses.ts";
import type { TokenRef } from "./token-repo.ts";

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
    /** how the request names its member token (its hash, or its console session's), set by `memberAuth()` */
    credential: TokenRef;
    /** the quota hold `enforceQuota` took for this request, released by `memberAuth()` */
    quotaHold?: string;
    /**
     * the request's work when it outlives its response (an SSE stream whose client left): the
     * quota hold is released once it is done, when its usage is recorded
     */
    settled?: Promise<void>;
    /** the request's `Idempotency-Key` and body hash, set by `idempotency()`; admission claims the key */
    idempotency?: KeyedRequest;
    /** the job row of an admitted image request, named by its answer's `x-request-id` */
    jobId?: string;
  };
}
