import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type ParsedBody, parseBody, readBody } from "./body.ts";
import { dispatch } from "./dispatch.ts";
import { HttpError } from "./errors.ts";
import { FaultQueue, parseFaultHeader } from "./faults.ts";
import { safeHeaders, summarize } from "./record.ts";
import { FileStore, json, type Mutations, type Reply } from "./reply.ts";
import { route } from "./routes.ts";
import { htmlPage, sleep, statusFaultError, writeReply } from "./transport.ts";
import type { FaultSpec, OfflineProvider, OfflineProviderOptions, RecordedRequest } from "./types.ts";

/** Header that injects faults into one request. */
export const FAULT_HEADER = "x-offline-fault";
/** Body field (JSON or multipart) that injects faults into one request. */
export const FAULT_FIELD = "offline_fault";

/**
 * How long an idle keep-alive connection stays open: longer than clients keep idle connections
 * pooled (workerd closed its own after 5-15 s in local runs), so the client always closes first.
 */
const KEEP_ALIVE_MS = 75_000;

function faultsFromField(value: unknown): FaultSpec[] {
  if (value === undefined || value === null || value === "") return [];
  return typeof value === "string" ? parseFaultHeader(value) : parseFaultHeader(JSON.stringify(value));
}

/** Folds the data-changing faults into the options the routes understand. */
function mutationsOf(faults: FaultSpec[], photo?: boolean): Mutations {
  const m: Mutations = photo ? { noise: "photo" } : {};
  for (const f of faults) {
    if (f.kind === "wrong-format") m.wrongFormat = f.format ?? true;
    else if (f.kind === "wrong-size") m.wrongSize = f.size ?? true;
    else if (f.kind === "noise") m.noise = true;
    else if (f.kind === "invalid-base64") m.invalidBase64 = true;
    else if (f.kind === "invalid-json") m.invalidJson = true;
    else if (f.kind === "truncated-image") m.truncateImage = f.bytes ?? 100;
  }
  return m;
}

/**
 * Starts a local OpenAI-compatible image server on 127.0.0.1 that draws real images and
 * injects faults on request.
 * @example
 * const provider = await startOfflineProvider();
 * await fetch(`${provider.url}/images/generations`, { method: "POST", body: JSON.stringify({ prompt: "a cat" }) });
 * provider.setFaults([{ kind: "status", status: 429, retryAfter: 1 }]);
 * await provider.close();
 */
export async function startOfflineProvider(opts: OfflineProviderOptions = {}): Promise<OfflineProvider> {
  const host = "127.0.0.1";
  const requests: RecordedRequest[] = [];
  const queue = new FaultQueue();
  queue.set(opts.defaultFaults ?? []);
  const store = new FileStore();
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  // every open request listens for the server closing: 50 in flight are 50 listeners, not a leak
  setMaxListeners(Number.POSITIVE_INFINITY, closing.signal);
  let seq = 0;
  let baseUrl = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const path = new URL(req.url ?? "/", "http://offline.invalid").pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const rec: RecordedRequest = {
      seq: ++seq,
      method,
      path,
      headers: safeHeaders(req.headers),
      fields: {},
      files: [],
      bodyBytes: 0,
      faults: [],
      status: 0,
      time: started,
    };
    requests.push(rec);
    const aborted = new AbortController();
    const abort = () => aborted.abort();
    res.on("close", abort);
    closing.signal.addEventListener("abort", abort, { once: true });
    const extraHeaders = { "x-request-id": `req_${randomBytes(12).toString("hex")}` };
    const send = async (reply: Reply, faults: FaultSpec[] = []) => {
      const cut = faults.find((f) => f.kind === "cut");
      const latency = faults.reduce((s, f) => s + (f.kind === "latency" ? f.ms : 0), 0);
      rec.status = await writeReply(res, reply, {
        cutBytes: cut ? (cut.bytes ?? 1024) : undefined,
        invalidJson: faults.some((f) => f.kind === "invalid-json"),
        streamLatencyMs: reply.kind === "sse" ? latency + (opts.latencyMs ?? 0) : 0,
        signal: aborted.signal,
        extraHeaders,
      });
    };
    const fail = (e: HttpError, faults: FaultSpec[] = []) => send(json(e.status, e.body(), e.headers), faults);
    try {
      const r = route(method, path);
      if (opts.apiKey !== undefined && r.kind !== "file" && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        req.resume();
        const message = req.headers.authorization
          ? "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
        return await fail(new HttpError(401, message, { code: req.headers.authorization ? "invalid_api_key" : null }));
      }
      const raw = await readBody(req);
      rec.bodyBytes = raw.length;

      let faults: FaultSpec[] = [];
      let parsed: ParsedBody = { fields: {}, files: [] };
      let parseError: unknown;
      try {
        const header = req.headers[FAULT_HEADER];
        faults = parseFaultHeader(Array.isArray(header) ? header.join(",") : (header ?? ""));
        if (method === "POST") {
          parsed = await parseBody(req.headers["content-type"] ?? "", raw);
          rec.fields = summarize(parsed.fields) as Record<string, unknown>;
          rec.files = parsed.files.map((f) => ({
            field: f.field,
            filename: f.filename,
            type: f.type,
            size: f.bytes.length,
          }));
          faults.push(...faultsFromField(parsed.fields[FAULT_FIELD]));
        }
      } catch (e) {
        parseError =
          e instanceof HttpError
            ? e
            : new HttpError(400, `Invalid fault: ${(e as Error).message}`, {
                param: FAULT_HEADER,
                code: "invalid_fault",
              });
      }
      const queued = queue.take(method, path);
      if (queued) faults.push(queued);
      rec.faults = faults.map((f) => f.kind);
      if (faults.length) opts.log?.(`fault ${rec.faults.join(",")} on ${method} ${path}`);

      const isWork = r.kind === "generation" || r.kind === "edit" || r.kind === "chat";
      const streaming = isWork && (parsed.fields.stream === true || parsed.fields.stream === "true");
      if (!streaming) {
        const latency = faults.reduce(
          (s, f) => s + (f.kind === "latency" ? f.ms : 0),
          isWork ? (opts.latencyMs ?? 0) : 0,
        );
        await sleep(latency, aborted.signal);
      }
      if (aborted.signal.aborted) return;

      const terminal = faults.find(
        (f) => f.kind === "reset" || f.kind === "hang" || f.kind === "status" || f.kind === "html",
      );
      if (terminal?.kind === "reset") {
        res.destroy();
        return;
      }
      if (terminal?.kind === "hang") {
        await new Promise<void>((resolve) => aborted.signal.addEventListener("abort", () => resolve(), { once: true }));
        return;
      }
      if (terminal?.kind === "status") return await fail(statusFaultError(terminal), faults);
      if (terminal?.kind === "html") {
        const status = terminal.status ?? 502;
        const headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" };
        if (terminal.shouldRetry !== undefined) headers["x-should-retry"] = String(terminal.shouldRetry);
        return await send({ kind: "body", status, headers, body: htmlPage(status) }, faults);
      }
      if (parseError) throw parseError;

      const mutations = mutationsOf(faults, opts.photo);
      const reply = await dispatch(r, {
        method,
        path,
        contentType: req.headers["content-type"] ?? "",
        body: parsed,
        mutations,
        store,
        baseUrl,
      });
      await send(reply, faults);
    } catch (e) {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const err = e instanceof HttpError ? e : new HttpError(500, `Internal error: ${(e as Error).message}`);
      await fail(err);
    } finally {
      closing.signal.removeEventListener("abort", abort);
      opts.log?.(`${method} ${path} -> ${rec.status || "dropped"} ${Date.now() - started}ms`);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  // Idle keep-alive connections stay open longer than clients keep them in their pools, so the
  // client is always the one to close. With Node's default (5 s) the server closed connections
  // that workerd still held: workerd sends its next request on a pooled socket without noticing the
  // close, and that request fails after it was sent ("Network connection lost"), which a gateway
  // must treat as possibly billed. Real image APIs keep connections open far longer than 5 s.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  baseUrl = `http://${host}:${port}/v1`;

  return {
    url: baseUrl,
    port,
    requests,
    count: (p?: string) => requests.filter((r) => p === undefined || r.path.includes(p)).length,
    setFaults: (faults) => queue.set(faults),
    pendingFaults: () => queue.pending(),
    clearRequests: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const s of sockets) s.destroy();
      }),
  };
}
