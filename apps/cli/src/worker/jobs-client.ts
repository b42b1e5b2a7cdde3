import {
  isRetryableStatus,
  RETRY_DEFAULTS,
  type RetryOptions,
  readAtMost,
  retryDelayMs,
  shouldRetryHeader,
  shownUrl,
} from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { networkError, sleep, workerError } from "./http.ts";
import { parseSse } from "./sse.ts";
import { isTerminal, type Job, type JobList } from "./types.ts";

export interface JobsClientOptions {
  /** Worker root, without a trailing slash */
  endpoint: string;
  token: string;
  fetch?: typeof fetch;
  /** polling interval bounds, ms (defaults 1000 → 5000) */
  pollMs?: [number, number];
  /**
   * Core's retry rules for resending a job's creation (default `RETRY_DEFAULTS`: 2 resends after
   * 0.5 s · 2^n less up to 25 % jitter, or the Worker's Retry-After up to 60 s).
   */
  retry?: RetryOptions;
  /** waits between resends; tests pass one that records */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** jitter source, as core's client takes it */
  random?: () => number;
}

export interface CreateOptions {
  signal: AbortSignal;
  /** sent as `Idempotency-Key` on the request and every resend; default: a fresh random key */
  idempotencyKey?: string;
}

export interface WaitOptions {
  signal: AbortSignal;
  /** total wait before giving up as outcome unknown (the job may still finish) */
  timeoutMs: number;
  onStatus?: (status: string) => void;
  /** called once when the event stream is unusable and polling takes over */
  onFallback?: (reason: string) => void;
}

/**
 * Whether a refused creation is worth resending (with its `Idempotency-Key`, so a lost answer
 * returns the same job): the Worker's `x-should-retry`, else core's retryable statuses, except
 * what waiting does not change: 409 (the key was used with another body) and a quota (the
 * team's daily one, the provider account's credit).
 */
const resendable = (res: Response, err: CliError): boolean =>
  shouldRetryHeader(res.headers) ?? (isRetryableStatus(res.status) && res.status !== 409 && !QUOTA_CODES.has(err.code));

const QUOTA_CODES: ReadonlySet<string> = new Set(["quota_exceeded", "insufficient_quota"]);

/**
 * A client for the Worker's job API (docs/worker-api.md). `fetch` is passed in for tests.
 * @example
 * const jobs = createJobsClient({ endpoint, token })
 * const job = await jobs.wait((await jobs.create(req, { signal })).id, { signal, timeoutMs })
 */
export function createJobsClient(o: JobsClientOptions) {
  const doFetch = o.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const [pollMin, pollMax] = o.pollMs ?? [1000, 5000];
  const auth = { authorization: `Bearer ${o.token}` };
  const retry = { ...RETRY_DEFAULTS, ...o.retry };
  const pause = o.sleep ?? sleep;

  async function getJson<T>(path: string, signal: AbortSignal, what: string): Promise<T> {
    const url = `${o.endpoint}${path}`;
    let res: Response;
    try {
      res = await doFetch(url, { headers: { ...auth, accept: "application/json" }, signal });
    } catch (e) {
      if (signal.aborted) throw e;
      throw networkError(url, e);
    }
    if (!res.ok) throw await workerError(res, what);
    return (await res.json()) as T;
  }

  /**
   * Creates a job from a built request (its URL and body). A network failure or a resendable
   * refusal (see `resendable`) is resent under core's retry rules with the same key.
   */
  async function create(req: Request, c: CreateOptions): Promise<Job> {
    const { signal } = c;
    const idempotencyKey = c.idempotencyKey ?? crypto.randomUUID();
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(req.headers);
      headers.set("authorization", auth.authorization);
      headers.set("idempotency-key", idempotencyKey);
      let res: Response | undefined;
      let failure: CliError | undefined;
      try {
        res = await doFetch(new Request(req.clone(), { headers, signal }));
      } catch (e) {
        if (signal.aborted) throw e;
        failure = networkError(req.url, e);
      }
      if (res?.ok) return usableJob(await res.json());
      if (res) {
        failure = await workerError(res, "create job");
        if (!resendable(res, failure)) throw failure;
      }
      if (attempt >= retry.maxRetries) throw failure;
      await pause(retryDelayMs(attempt, res?.headers, retry, o.random), signal);
    }
  }

  /** The created job, when its id is one the CLI can use in URLs and commands. */
  function usableJob(body: unknown): Job {
    const job = body as Job;
    if (typeof job?.id !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(job.id)) {
      throw new CliError("bad_response", "create job: the Worker answered without a usable job id", {
        possiblyBilled: true,
      });
    }
    return job;
  }

  /** One job; an id the team has no job under is bad input (exit 2), as docs/cli exit codes say. */
  async function get(id: string, signal: AbortSignal): Promise<Job> {
    try {
      return await getJson<Job>(`/v1/jobs/${encodeURIComponent(id)}`, signal, `job ${id}`);
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== "not_found") throw e;
      throw new CliError(
        "not_found",
        `job ${id} not found: no job of this team has that id (gptimg jobs list shows them)`,
        {
          exitCode: EXIT.usage,
          status: 404,
          ...(e.requestId ? { requestId: e.requestId } : {}),
        },
      );
    }
  }

  async function list(q: { limit?: number; cursor?: string; scope?: string }, signal: AbortSignal): Promise<JobList> {
    const params = new URLSearchParams();
    if (q.limit !== undefined) params.set("limit", String(q.limit));
    if (q.cursor) params.set("cursor", q.cursor);
    if (q.scope) params.set("scope", q.scope);
    const qs = params.toString();
    return getJson<JobList>(`/v1/jobs${qs ? `?${qs}` : ""}`, signal, "list jobs");
  }

  /** Follows the event stream; returns the final job, or undefined when the stream is unusable. */
  async function viaEvents(id: string, w: WaitOptions, signal: AbortSignal): Promise<Job | undefined> {
    const url = `${o.endpoint}/v1/jobs/${encodeURIComponent(id)}/events`;
    let res: Response;
    try {
      res = await doFetch(url, { headers: { ...auth, accept: "text/event-stream" }, signal });
    } catch (e) {
      if (w.signal.aborted) throw e;
      w.onFallback?.(`event stream unavailable (${(e as Error).message})`);
      return undefined;
    }
    if (res.status === 401 || res.status === 403) throw await workerError(res, `job ${id}`);
    if (!res.ok || !res.body || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
      await res.body?.cancel().catch(() => undefined);
      w.onFallback?.(`event stream answered HTTP ${res.status}`);
      return undefined;
    }
    try {
      for await (const msg of parseSse(res.body)) {
        let data: unknown;
        try {
          data = JSON.parse(msg.data);
        } catch {
          continue;
        }
        if (msg.event === "status" && typeof (data as { status?: unknown }).status === "string") {
          w.onStatus?.((data as { status: string }).status);
        } else if (msg.event === "done" && typeof (data as Job).status === "string") {
          return data as Job;
        }
      }
    } catch (e) {
      if (w.signal.aborted) throw e;
    }
    w.onFallback?.("event stream ended before the job did");
    return undefined;
  }

  /** Waits for a job: events first, polling when the stream fails. Bounded by `timeoutMs`. */
  async function wait(id: string, w: WaitOptions): Promise<Job> {
    const deadline = AbortSignal.timeout(w.timeoutMs);
    const signal = AbortSignal.any([w.signal, deadline]);
    try {
      const done = await viaEvents(id, w, signal);
      if (done && isTerminal(done.status)) return done;
      let delay = pollMin;
      let lastStatus = "";
      for (;;) {
        const job = await get(id, signal);
        if (job.status !== lastStatus) {
          lastStatus = job.status;
          w.onStatus?.(job.status);
        }
        if (isTerminal(job.status)) return job;
        await sleep(delay, signal);
        delay = Math.min(pollMax, Math.round(delay * 1.5));
      }
    } catch (e) {
      if (deadline.aborted && !w.signal.aborted) {
        throw new CliError(
          "outcome_unknown",
          `job ${id} did not finish within ${Math.round(w.timeoutMs / 1000)}s; it may still: gptimg jobs wait ${id}`,
          {
            possiblyBilled: true,
          },
        );
      }
      throw e;
    }
  }

  /**
   * Downloads one image from its signed URL. The team token is not sent: the URL is the
   * credential. Reads at most `expectedBytes` (the size the job reported) or `MAX_IMAGE_BYTES`.
   */
  async function download(url: string, signal: AbortSignal, expectedBytes?: number): Promise<Uint8Array> {
    let parsed: URL;
    try {
      parsed = new URL(url, o.endpoint);
    } catch {
      throw new CliError("bad_response", `image URL ${shownUrl(url)}: not a URL`, { possiblyBilled: true });
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      throw new CliError("bad_response", `image URL ${parsed.protocol}: only http(s) is downloaded`, {
        possiblyBilled: true,
      });
    }
    let res: Response;
    try {
      res = await doFetch(parsed.href, { signal });
    } catch (e) {
      if (signal.aborted) throw e;
      throw networkError(parsed.href, e, true);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new CliError("bad_response", `image download ${parsed.pathname}: HTTP ${res.status}`, {
        status: res.status,
        possiblyBilled: true,
      });
    }
    const max =
      expectedBytes !== undefined && Number.isSafeInteger(expectedBytes) && expectedBytes > 0
        ? Math.min(expectedBytes, MAX_IMAGE_BYTES)
        : MAX_IMAGE_BYTES;
    const bytes = await readResponseAtMost(res, max);
    if (bytes === null) {
      throw new CliError("bad_response", `image download ${parsed.pathname}: larger than the ${max} bytes expected`, {
        possiblyBilled: true,
      });
    }
    return bytes;
  }

  return { create, get, list, wait, download };
}

export type JobsClient = ReturnType<typeof createJobsClient>;

/** No image the API makes comes near this (a 3840x2160 PNG of noise is about 33 MB). */
const MAX_IMAGE_BYTES = 128 * 1024 * 1024;

/** A response body whole, or null (and the body cancelled) once it passes `max` bytes. */
async function readResponseAtMost(res: Response, max: number): Promise<Uint8Array | null> {
  if (Number(res.headers.get("content-length") ?? 0) > max) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  return res.body ? readAtMost(res.body, max) : new Uint8Array(0);
}
