/** Image encodings the provider can return. */
export type OutputFormat = "png" | "jpeg" | "webp";

/** Fields every fault accepts. */
export interface FaultBase {
  /** How many matching requests this fault applies to before it is used up (default 1; `Infinity` = forever). */
  times?: number;
  /** Apply only to requests whose path contains this string (e.g. `"/edits"`); default: every image or chat request. */
  path?: string;
}

/**
 * One injected failure. In a header or `offline_fault` string the same faults are written as
 * `kind[=value][;param=value]…`, several joined by `,` (see `parseFaultHeader`).
 */
export type FaultSpec = FaultBase &
  (
    | { kind: "latency"; ms: number }
    | {
        kind: "status";
        /** 400-599; 429 gets a rate-limit body, 5xx a server-error body */
        status: number;
        /** `Retry-After` header value (seconds, or an HTTP date) */
        retryAfter?: number | string;
        /** `retry-after-ms` header value */
        retryAfterMs?: number;
        /** `x-should-retry` header value */
        shouldRetry?: boolean;
        /** override the error message */
        message?: string;
        /**
         * `error.code` (and `error.type`) instead of the status's own, e.g. `insufficient_quota`:
         * OpenAI's 429 for a spent billing quota, with its message unless `message` is given
         */
        code?: string;
      }
    | { kind: "html"; status?: number; shouldRetry?: boolean }
    | { kind: "cut"; bytes?: number }
    | { kind: "reset" }
    | { kind: "hang" }
    | { kind: "invalid-json" }
    | { kind: "invalid-base64" }
    | { kind: "wrong-format"; format?: OutputFormat }
    | { kind: "wrong-size"; size?: string }
    | { kind: "noise" }
    | { kind: "truncated-image"; bytes?: number }
  );

/** The name of a fault. */
export type FaultKind = FaultSpec["kind"];

/** What the server remembers of one request (the Authorization header is never kept). */
export interface RecordedRequest {
  /** sequence number, from 1 */
  seq: number;
  method: string;
  /** path without the query string, e.g. `/v1/images/generations` */
  path: string;
  /** lower-case request headers, without `authorization` */
  headers: Record<string, string>;
  /** JSON body, or the text fields of a multipart body */
  fields: Record<string, unknown>;
  /** files of a multipart body */
  files: Array<{ field: string; filename: string; type: string; size: number }>;
  /** body length in bytes */
  bodyBytes: number;
  /** kinds of the faults applied to this request */
  faults: FaultKind[];
  /** response status (0 when the connection was dropped or never answered) */
  status: number;
  /** `Date.now()` when the request arrived */
  time: number;
}

/** Options of `startOfflineProvider`. */
export interface OfflineProviderOptions {
  /** TCP port; 0 (default) picks a free one */
  port?: number;
  /** listen address; only loopback is supported */
  host?: "127.0.0.1";
  /** when set, `/v1/*` (except `/v1/files`) requires `Authorization: Bearer <apiKey>` */
  apiKey?: string;
  /** delay added before every image or chat response */
  latencyMs?: number;
  /**
   * draw every image with a quarter of each row noise, so images have the sizes real ones do
   * (a 1024x1024 PNG ~800 KB) instead of a few KB of stripes; each one is drawn once and reused
   * (the `noise` fault still gives its 40 %, ~11 MB at 3840x2160)
   */
  photo?: boolean;
  /** initial fault queue, as if passed to `setFaults` */
  defaultFaults?: FaultSpec[];
  /** receives one line per request (no secrets) */
  log?: (line: string) => void;
}

/** A running offline provider. */
export interface OfflineProvider {
  /** base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1` */
  url: string;
  port: number;
  /** every request received, in arrival order (live array) */
  requests: RecordedRequest[];
  /** number of recorded requests whose path contains `path` (all when omitted) */
  count(path?: string): number;
  /** replace the fault queue; entries are consumed in order by the requests they match */
  setFaults(faults: FaultSpec[]): void;
  /** faults still queued */
  pendingFaults(): FaultSpec[];
  /** forget recorded requests */
  clearRequests(): void;
  /** stop listening and drop every open connection (including hanging ones) */
  close(): Promise<void>;
}
