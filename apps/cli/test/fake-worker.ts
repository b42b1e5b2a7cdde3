/**
 * A tiny local Worker implementing the job contract of docs/worker-api.md, for testing the
 * CLI's Worker route without wrangler. Images come from a real provider (the offline one).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeJob {
  id: string;
  object: "image.job";
  status: "queued" | "running" | "succeeded" | "failed";
  kind: "generate" | "edit";
  model: string;
  member: string;
  created_at: number;
  completed_at: number | null;
  requested_size: string | null;
  size_mismatch: boolean;
  provider: string;
  request_id: string;
  images: { index: number; url: string; format: string; width: number; height: number; bytes: number }[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
  cost_usd: number | null;
  error: {
    code: string;
    message: string;
    status: number | null;
    request_id: string | null;
    possibly_billed: boolean;
  } | null;
}

export interface FakeWorkerOptions {
  token: string;
  adminToken: string;
  /** where images are generated */
  providerUrl: string;
  providerKey: string;
}

export interface FakeWorker {
  url: string;
  /** Idempotency-Key of every POST /v1/jobs, in order */
  keys: string[];
  /** how the events route behaves */
  events: "sse" | "404" | "drop";
  /** the next job fails with this error */
  failNext: FakeJob["error"];
  /** answer this many job creations with 503 first */
  createFailures: number;
  /** a job stays running forever */
  stuck: boolean;
  /** reading a job (GET and its events) answers 502, as a gateway outage would */
  readsDown: boolean;
  /** image downloads carry this many bytes more than the job reported */
  padFiles: number;
  jobs: Map<string, FakeJob>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const err = (res: ServerResponse, status: number, code: string, message: string): void =>
  json(res, status, { error: { message, type: "invalid_request_error", code, param: null } });

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeWorker(o: FakeWorkerOptions): Promise<FakeWorker> {
  const files = new Map<string, Buffer>();
  const byKey = new Map<string, string>();
  let seq = 0;
  const state: Omit<FakeWorker, "url" | "close"> = {
    keys: [],
    events: "sse",
    failNext: null,
    createFailures: 0,
    stuck: false,
    readsDown: false,
    padFiles: 0,
    jobs: new Map(),
  };
  let base = "";

  async function runJob(job: FakeJob, raw: Buffer, contentType: string): Promise<void> {
    job.status = "running";
    if (state.stuck) return;
    if (state.failNext) {
      job.status = "failed";
      job.error = state.failNext;
      state.failNext = null;
      job.completed_at = Math.floor(Date.now() / 1000);
      return;
    }
    const path = job.kind === "edit" ? "/images/edits" : "/images/generations";
    const res = await fetch(`${o.providerUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.providerKey}`, "content-type": contentType },
      body: new Uint8Array(raw),
    });
    const out = (await res.json()) as {
      data: { b64_json: string }[];
      usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
    };
    job.images = out.data.map((d, index) => {
      const bytes = Buffer.from(d.b64_json, "base64");
      const key = `t/team/${job.id}/${index}.png`;
      files.set(key, bytes);
      return {
        index,
        url: `${base}/files/${key}?exp=9999999999&kid=k1&sig=abc`,
        format: "png",
        width: bytes.readUInt32BE(16),
        height: bytes.readUInt32BE(20),
        bytes: bytes.length,
      };
    });
    job.usage = out.usage ?? null;
    job.cost_usd = 0.0123;
    job.status = "succeeded";
    job.completed_at = Math.floor(Date.now() / 1000);
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", base);
    const auth = req.headers.authorization ?? "";
    if (url.pathname.startsWith("/files/")) {
      const bytes = files.get(url.pathname.slice("/files/".length));
      if (!bytes || url.searchParams.get("sig") !== "abc") return void res.writeHead(403).end("forbidden");
      const sent = state.padFiles ? Buffer.concat([bytes, Buffer.alloc(state.padFiles)]) : bytes;
      res.writeHead(200, { "content-type": "image/png", "content-length": sent.length });
      return void res.end(sent);
    }
    if (url.pathname.startsWith("/admin/")) {
      if (auth !== `Bearer ${o.adminToken}`) return err(res, 401, "auth", "bad admin token");
      if (req.method === "POST" && url.pathname === "/admin/tokens") {
        const b = JSON.parse((await body(req)).toString());
        return json(res, 201, {
          id: "tok_1",
          token: "gpi_new_member_token",
          team: b.team,
          member: b.member,
          expires_at: null,
          models: b.models ?? null,
          daily_image_quota: b.daily_image_quota ?? null,
          rpm: b.rpm ?? null,
        });
      }
      if (req.method === "GET" && url.pathname === "/admin/tokens") {
        return json(res, 200, {
          object: "list",
          data: [
            {
              id: "tok_1",
              team: url.searchParams.get("team") ?? "t",
              member: "alice",
              expires_at: null,
              revoked_at: null,
            },
          ],
        });
      }
      if (req.method === "DELETE" && url.pathname === "/admin/tokens/tok_1")
        return json(res, 200, { id: "tok_1", revoked: true });
      if (req.method === "GET" && url.pathname === "/admin/usage") {
        return json(res, 200, {
          object: "usage",
          from: url.searchParams.get("from"),
          to: url.searchParams.get("to"),
          rows: [
            {
              team: "t",
              member: "alice",
              model: "gpt-image-2",
              images: 3,
              input_tokens: 10,
              output_tokens: 3000,
              cost_usd: 0.09,
            },
          ],
        });
      }
      return err(res, 404, "not_found", "no such admin route");
    }
    if (auth !== `Bearer ${o.token}`) return err(res, 401, "auth", "invalid team token");
    if (req.method === "GET" && url.pathname === "/v1/models")
      return json(res, 200, { object: "list", data: [{ id: "gpt-image-2" }] });
    if (req.method === "POST" && url.pathname === "/v1/jobs") {
      const key = String(req.headers["idempotency-key"] ?? "");
      state.keys.push(key);
      const raw = await body(req);
      if (state.createFailures > 0) {
        state.createFailures -= 1;
        return err(res, 503, "provider_error", "try again");
      }
      const existing = byKey.get(key);
      if (existing) return json(res, 200, state.jobs.get(existing));
      const ct = String(req.headers["content-type"] ?? "");
      const kind = ct.startsWith("multipart/") ? "edit" : "generate";
      const id = `job_${++seq}`;
      const job: FakeJob = {
        id,
        object: "image.job",
        status: "queued",
        kind,
        model: "gpt-image-2",
        member: "alice",
        created_at: Math.floor(Date.now() / 1000),
        completed_at: null,
        requested_size: null,
        size_mismatch: false,
        provider: "primary",
        request_id: `req_fake_${seq}`,
        images: [],
        usage: null,
        cost_usd: null,
        error: null,
      };
      state.jobs.set(id, job);
      if (key) byKey.set(key, id);
      json(res, 202, { id, object: "image.job", status: "queued", kind, created_at: job.created_at });
      void runJob(job, raw, ct);
      return;
    }
    if (req.method === "GET" && url.pathname === "/v1/jobs") {
      return json(res, 200, { object: "list", data: [...state.jobs.values()].reverse(), next_cursor: null });
    }
    const m = /^\/v1\/jobs\/([^/]+)(\/events)?$/.exec(url.pathname);
    const job = m ? state.jobs.get(m[1]!) : undefined;
    if (!m || !job) return err(res, 404, "not_found", "no such job");
    if (state.readsDown) return err(res, 502, "provider_error", "bad gateway");
    if (!m[2]) return json(res, 200, job);
    if (state.events === "404") return err(res, 404, "not_found", "no events here");
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(`event: status\ndata: ${JSON.stringify({ status: job.status })}\n\n`);
    if (state.events === "drop") return void res.end();
    for (let i = 0; i < 400 && job.status !== "succeeded" && job.status !== "failed"; i++)
      await new Promise((r) => setTimeout(r, 25));
    res.write(`event: status\ndata: ${JSON.stringify({ status: job.status })}\n\n`);
    if (job.status === "succeeded" || job.status === "failed")
      res.write(`event: done\ndata: ${JSON.stringify(job)}\n\n`);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fw = state as FakeWorker;
  fw.url = base;
  fw.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return fw;
}
