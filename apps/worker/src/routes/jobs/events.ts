import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { jobStatement } from "../../jobs/repo.ts";
import type { JobRow, JobStatus } from "../../jobs/types.ts";
import { jobView } from "../../jobs/view.ts";
import { nowSeconds } from "../../lib/clock.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { memberFromRead, type TokenReadRow, tokenReadStatement } from "../../lib/token-repo.ts";

/** How often D1 is read while a client watches a job. */
export const EVENTS_POLL_MS = 1000;
/**
 * How long one events stream stays open. A job can take longer (provider minutes plus retries);
 * a client that gets `event: timeout` reconnects or falls back to `GET /v1/jobs/:id`.
 */
export const EVENTS_MAX_MS = 10 * 60 * 1000;

const TERMINAL: ReadonlySet<JobStatus> = new Set(["succeeded", "failed"]);

/**
 * `GET /v1/jobs/:id/events`: `event: status` with `{ "status" }` whenever the status changes
 * (the first at once), then `event: done` with the job object, then the stream ends. The row is
 * polled every `EVENTS_POLL_MS`, for at most `EVENTS_MAX_MS` (then `event: timeout`), and the
 * caller's token with it: once the token is revoked or expired (or its console session ended)
 * the stream ends with `event: error` (code `auth`), so a revoked member stops seeing the job at
 * the next poll. Any other failure while watching ends it with `event: error` (code `internal`).
 */
export function jobEvents(c: Context<AppEnv>, jobId: string, origin: string): Response {
  // Failures are caught here rather than left to streamSSE, which would log them whole or
  // send their message to the client.
  return streamSSE(c, async (stream) => {
    try {
      await watch(c, stream, jobId, origin);
    } catch (err) {
      if (err instanceof HttpError && err.code === "auth") {
        await stream.writeSSE({ event: "error", data: JSON.stringify({ code: "auth", message: err.message }) });
        return;
      }
      // as app.onError does: the kind only, since a message could quote anything, secrets included
      console.error(`internal error on GET /v1/jobs/:id/events: ${err instanceof Error ? err.name : typeof err}`);
      await stream.writeSSE({
        event: "error",
        data: JSON.stringify({ code: "internal", message: "the job could not be read; try GET /v1/jobs/:id" }),
      });
    }
  });
}

async function watch(c: Context<AppEnv>, stream: SSEStreamingApi, jobId: string, origin: string): Promise<void> {
  const deadline = Date.now() + EVENTS_MAX_MS;
  let last: JobStatus | undefined;
  let aborted = false;
  stream.onAbort(() => {
    aborted = true;
  });
  for (let polls = 0; !aborted && polls <= EVENTS_MAX_MS / EVENTS_POLL_MS; polls++) {
    const row = await pollJob(c, jobId);
    if (!row) {
      await stream.writeSSE({
        event: "error",
        data: JSON.stringify({ code: "not_found", message: `job ${jobId} not found` }),
      });
      return;
    }
    if (row.status !== last) {
      last = row.status;
      await stream.writeSSE({ event: "status", data: JSON.stringify({ status: row.status }) });
    }
    if (TERMINAL.has(row.status)) {
      await stream.writeSSE({ event: "done", data: JSON.stringify(await jobView(c.env, row, origin)) });
      return;
    }
    if (Date.now() + EVENTS_POLL_MS > deadline) break;
    await stream.sleep(EVENTS_POLL_MS);
  }
  if (!aborted) await stream.writeSSE({ event: "timeout", data: JSON.stringify({ status: last ?? null }) });
}

/**
 * The job and the caller's token, read in one batch (one round trip, as the job alone was): the
 * job row, or null; throws the token's refusal (401 `auth`) once it no longer passes.
 */
async function pollJob(c: Context<AppEnv>, jobId: string): Promise<JobRow | null> {
  const db = c.env.DB;
  const credential = c.get("credential");
  const [job, token] = await db.batch<Record<string, unknown>>([
    jobStatement(db, jobId),
    tokenReadStatement(db, credential),
  ]);
  const read = token?.results[0] as TokenReadRow | undefined;
  memberFromRead(read, credential, nowSeconds());
  return (job?.results[0] as JobRow | undefined) ?? null;
}
