import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { getJob } from "../../jobs/repo.ts";
import type { JobStatus } from "../../jobs/types.ts";
import { jobView } from "../../jobs/view.ts";
import type { AppEnv } from "../../lib/context.ts";

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
 * polled every `EVENTS_POLL_MS`, for at most `EVENTS_MAX_MS` (then `event: timeout`). A failure
 * while watching ends the stream with `event: error` (code `internal`).
 */
export function jobEvents(c: Context<AppEnv>, jobId: string, origin: string): Response {
  // Failures are caught here rather than left to streamSSE, which would log them whole or
  // send their message to the client.
  return streamSSE(c, async (stream) => {
    try {
      await watch(c, stream, jobId, origin);
    } catch (err) {
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
    const row = await getJob(c.env.DB, jobId);
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
