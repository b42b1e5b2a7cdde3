/**
 * `npm run bench -w apps/worker`: Worker overhead and memory, against the offline provider.
 *  1. Latency the Worker adds: the same 1024x1024 generation (a photo-sized ~800 KB PNG) sent
 *     straight to the provider and through `wrangler dev`, answered as b64_json (streamed through
 *     while stored) and as a signed URL (after the R2 put), at 1 and at 50 requests in flight;
 *     p50 and p99 of each, their difference, an R2 put of the same bytes alone, and the time to
 *     the first byte and the first partial image of `stream: true`.
 *  2. Peak memory (VmHWM of the workerd processes) for one request of n=1 and n=10 noisy 4K images,
 *     answered as URLs, as b64_json and as a job, with wrangler's DevTools inspector off (its proxy
 *     grows with every upstream chunk and is not part of a deployed Worker), and n=2 under plain
 *     `wrangler dev` for comparison.
 * Prints figures; never passes or fails. Run on an idle machine; numbers are local-dev figures.
 * Every timed request opens its own connection (see `timedPost`); direct and Worker rows are
 * measured interleaved, and the load average is printed with the figures. Part 1 runs with
 * wrangler's DevTools inspector off (`BENCH_INSPECTOR=1` turns it on).
 */
import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { cpus, loadavg } from "node:os";
import { DEV_SECRETS, descendants, startStack, stopAll } from "./lib/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 200);
/** BENCH_QUICK=1: fewer requests per round, for a busy machine (p99 of 30 is the worst but one) */
const ROUNDS: [concurrency: number, requests: number][] = process.env.BENCH_QUICK
  ? [
      [1, 30],
      [50, 100],
    ]
  : [
      [1, 100],
      [50, 200],
    ];

process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
/** The machine's 1, 5 and 15 minute load averages. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

/** Runs `total` calls of `fn` with `concurrency` in flight; returns sorted durations in ms. */
async function measure(concurrency: number, total: number, fn: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

async function expectOk(res: Response, what: string): Promise<void> {
  const body = await res.arrayBuffer();
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${new TextDecoder().decode(body).slice(0, 300)}`);
}

async function vmHwmKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

/** POSTs JSON with node:http and counts the answer's bytes (undici's fetch reads a 150 MB body slowly). */
function postCounting(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; bytes: number; head: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: "POST", headers, timeout: 280_000 }, (res) => {
      let bytes = 0;
      let head = "";
      res.on("data", (b: Buffer) => {
        if (head.length < 300) head += b.toString("utf8", 0, 300);
        bytes += b.length;
      });
      res.on("end", () => ok({ status: res.statusCode ?? 0, bytes, head }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 280 s")));
    req.on("error", fail);
    req.end(body);
  });
}

type Route = "url" | "b64_json" | "jobs";

/**
 * Peak memory for one request of `n` noisy 4K images, in a fresh stack (so earlier load does not
 * count). With `inspector: false` the Worker runs without wrangler's DevTools inspector proxy
 * (scripts/lib/serve.ts); then one workerd runs wrangler's local proxy and the other the Worker's
 * isolate together with the local D1/R2/Workflows simulators. Also reports the most file
 * descriptors any workerd held.
 */
async function memory(n: number, route: Route, inspector: boolean): Promise<string> {
  const stack = await startStack({ inspector });
  try {
    const token = await stack.createToken("bench", "bench");
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const post = (path: string, body: object) =>
      fetch(`${stack.origin}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "gpt-image-2", ...body }),
        signal: AbortSignal.timeout(280_000),
      });
    await expectOk(
      await post("/v1/images/generations", { prompt: "warm-up", size: "1024x1024", response_format: "url" }),
      "warm-up",
    );
    const port = new URL(stack.origin).port;
    const workerds = await Promise.all(
      (await descendants(stack.wranglerPid))
        .filter((p) => p.name === "workerd")
        .map(async ({ pid }) => {
          const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8");
          return { pid, proxy: cmd.includes(`entry=127.0.0.1:${port}\0`) };
        }),
    );
    const before = await Promise.all(workerds.map((w) => vmHwmKiB(w.pid)));
    let maxFds = 0;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 20_000; i++) {
        for (const w of workerds)
          maxFds = Math.max(maxFds, (await readdir(`/proc/${w.pid}/fd`).catch(() => [])).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    stack.provider.setFaults([{ kind: "noise", times: 1 }]);
    const t = performance.now();
    let outcome: string;
    const body = { prompt: "noise", size: "3840x2160", n };
    try {
      if (route === "b64_json") {
        const res = await postCounting(
          `${stack.origin}/v1/images/generations`,
          headers,
          JSON.stringify({ ...body, response_format: "b64_json" }),
        );
        if (res.status !== 200) throw new Error(`${res.status} ${res.head}`);
        outcome = `ok, ${(res.bytes / 2 ** 20).toFixed(0)} MiB of JSON`;
      } else if (route === "url") {
        const res = await post("/v1/images/generations", { ...body, response_format: "url" });
        const answer = (await res.json()) as { data?: { url: string }[]; error?: { message: string } };
        if (!res.ok) throw new Error(`${res.status} ${answer.error?.message ?? ""}`);
        const sizes = await Promise.all(
          (answer.data ?? []).map(async (d) => (await (await fetch(d.url)).arrayBuffer()).byteLength),
        );
        outcome = `ok, ${(sizes.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(0)} MiB of PNG`;
      } else {
        const res = await post("/v1/jobs", body);
        const job = (await res.json()) as { id?: string; error?: { message: string } };
        if (!res.ok || !job.id) throw new Error(`${res.status} ${job.error?.message ?? ""}`);
        outcome = "FAILED: job still running after 280 s";
        for (let i = 0; i < 1120; i++) {
          const s = (await (await fetch(`${stack.origin}/v1/jobs/${job.id}`, { headers })).json()) as {
            status: string;
            images?: unknown[];
            error?: { message: string };
          };
          if (s.status === "succeeded") outcome = `ok, ${s.images?.length ?? 0} images stored`;
          else if (s.status === "failed") outcome = `FAILED: ${s.error?.message ?? ""}`;
          if (s.status === "succeeded" || s.status === "failed") break;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } catch (err) {
      outcome = `FAILED: ${err instanceof Error ? err.message : String(err)}`.slice(0, 160);
    }
    const elapsed = ((performance.now() - t) / 1000).toFixed(1);
    sampling = false;
    await sampler;
    const after = await Promise.all(workerds.map((w) => vmHwmKiB(w.pid)));
    const mib = (kib: number | undefined) => `${((kib ?? 0) / 1024).toFixed(0)} MiB`;
    const peak = (proxy: boolean) =>
      workerds
        .map((w, i) => (w.proxy === proxy ? `${mib(before[i])} -> ${mib(after[i])}` : ""))
        .filter(Boolean)
        .join(", ");
    const how = inspector ? "wrangler dev" : "no inspector";
    return `| ${n} | ${route === "jobs" ? "POST /v1/jobs" : route} | ${how} | ${elapsed} s | ${peak(false)} | ${peak(true)} | ${maxFds} | ${outcome} |`;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const part = process.env.BENCH_PART;
  console.log(`load average at start: ${load()} (${cpus().length} CPUs)`);
  if (part !== "memory") await overhead();
  if (part !== "overhead") await memoryTable();
}

/**
 * A member token with a daily image quota and an rpm limit high enough never to trip, so the
 * quota and rate-limit checks run on every request as they do for a limited team member.
 */
async function limitedToken(origin: string): Promise<string> {
  const res = await fetch(`${origin}/admin/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ team: "bench", member: "limited", daily_image_quota: 1_000_000, rpm: 100_000 }),
  });
  const body = (await res.json()) as { token?: string; error?: { message: string } };
  if (!body.token) throw new Error(`POST /admin/tokens answered ${res.status}: ${body.error?.message ?? ""}`);
  return body.token;
}

/** Sorted durations' p50 and p99. */
const p5099 = (t: number[]) => [pct(t, 50), pct(t, 99)] as const;

/**
 * Times a request until its last body byte (and, for SSE, its first partial image); node:http, no
 * undici buffering. Each request opens its own connection (`agent: false`, so `Connection: close`):
 * a client that keeps connections alive from one burst of 50 to the next has some of them reset
 * by `wrangler dev` (docs/benchmarks.md), and the provider is called the same way for a fair
 * comparison.
 */
function timedPost(
  url: string,
  headers: Record<string, string>,
  body: string | null,
): Promise<{ status: number; ttfb: number; firstPartial: number; total: number }> {
  const t = performance.now();
  return new Promise((ok, fail) => {
    const method = body === null ? "GET" : "POST";
    const req = request(url, { method, headers, timeout: 280_000, agent: false }, (res) => {
      let ttfb = Number.NaN;
      let firstPartial = Number.NaN;
      let seen = "";
      res.on("data", (b: Buffer) => {
        if (Number.isNaN(ttfb)) ttfb = performance.now() - t;
        if (Number.isNaN(firstPartial)) {
          seen = (seen + b.toString("latin1")).slice(-200);
          if (seen.includes("partial_image")) firstPartial = performance.now() - t;
        }
      });
      res.on("end", () => ok({ status: res.statusCode ?? 0, ttfb, firstPartial, total: performance.now() - t }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 280 s")));
    req.on("error", fail);
    req.end(body ?? undefined);
  });
}

/**
 * `a` and `b` measured alternately, so that a change in the machine's load during the row weighs
 * on both alike (the machine may be shared): one request each in turn at 1 in flight, a quarter
 * of `total` at a time otherwise. One at a time in turn, a Worker request's work after its answer
 * (the R2 put and settlement, and the console's thumbnail, which under `wrangler dev` the Images
 * binding makes on this machine's CPU) is done during the direct request that follows, as it is
 * done off the Worker's CPU in production, instead of during the next Worker request
 * (docs/benchmarks.md, "Worker hot path").
 */
async function interleaved(
  concurrency: number,
  total: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const slice = concurrency === 1 ? 1 : Math.max(concurrency, Math.ceil(total / 4));
  for (let done = 0; done < total; done += slice) {
    const n = Math.min(slice, total - done);
    ta.push(...(await measure(concurrency, n, a)));
    tb.push(...(await measure(concurrency, n, b)));
  }
  return [ta.sort((x, y) => x - y), tb.sort((x, y) => x - y)];
}

/**
 * The same bytes put into a local R2 bucket alone, timed inside workerd around `put` only: what a
 * `url` answer cannot avoid. Same machine, same run, same miniflare R2 simulator as wrangler dev.
 */
async function r2PutAlone(bytes: number, concurrency: number, total: number): Promise<number[]> {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    r2Buckets: ["B"],
    script: `let image;
      export default {
        async fetch(req, env) {
          image ??= new Uint8Array(await req.arrayBuffer());
          const t = Date.now();
          await env.B.put(crypto.randomUUID(), image);
          return new Response(String(Date.now() - t));
        },
      };`,
  });
  try {
    const payload = new Uint8Array(bytes).map(() => Math.floor(Math.random() * 256));
    const times: number[] = [];
    await (await mf.dispatchFetch("http://r2.test/", { method: "POST", body: payload })).text();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next += 1;
          times.push(
            Number(await (await mf.dispatchFetch("http://r2.test/", { method: "POST", body: payload })).text()),
          );
        }
      }),
    );
    return times.sort((a, b) => a - b);
  } finally {
    await mf.dispose();
  }
}

/** Part 1: the latency the Worker adds, with images the size real ones have. */
async function overhead(): Promise<void> {
  // wrangler's DevTools inspector proxy handles every chunk of a large upstream body (seconds on
  // an SSE stream of photo-sized partials); a deployed Worker has none. BENCH_INSPECTOR=1: with it.
  const inspector = process.env.BENCH_INSPECTOR === "1";
  console.log(
    `Worker under ${inspector ? "plain wrangler dev (DevTools inspector on)" : "wrangler dev with the DevTools inspector off"}`,
  );
  const stack = await startStack({ provider: { latencyMs: LATENCY_MS, photo: true }, inspector });
  try {
    const token = await stack.createToken("bench", "bench");
    const request = { model: "gpt-image-2", prompt: "benchmark", size: "1024x1024" };
    const providerHeaders = {
      authorization: `Bearer ${DEV_SECRETS.PROVIDER_API_KEY}`,
      "content-type": "application/json",
    };
    const probe = await timedPost(`${stack.provider.url}/images/generations`, providerHeaders, JSON.stringify(request));
    const sample = await fetch(`${stack.provider.url}/images/generations`, {
      method: "POST",
      headers: providerHeaders,
      body: JSON.stringify(request),
    }).then((r) => r.json() as Promise<{ data: { b64_json: string }[] }>);
    const pngBytes = Buffer.from(sample.data[0]?.b64_json ?? "", "base64").length;
    if (probe.status !== 200) throw new Error(`provider answered ${probe.status}`);
    const direct = async () => {
      const r = await timedPost(`${stack.provider.url}/images/generations`, providerHeaders, JSON.stringify(request));
      if (r.status !== 200) throw new Error(`provider answered ${r.status}`);
    };
    const limited = await limitedToken(stack.origin);
    const worker = (bearer: string, format: "url" | "b64_json") => async () => {
      const r = await timedPost(
        `${stack.origin}/v1/images/generations`,
        { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        JSON.stringify({ ...request, response_format: format }),
      );
      if (r.status !== 200) throw new Error(`worker answered ${r.status}`);
    };
    // wrangler dev's own floor: a request that touches neither D1 nor R2, and one D1 round trip
    const floor = (path: string) => async () => {
      await timedPost(`${stack.origin}${path}`, {}, null);
    };
    const floors: [string, () => Promise<void>][] = [
      ["GET /nope (404, no D1)", floor("/nope")],
      ["GET /healthz (one D1 query)", floor("/healthz")],
    ];
    // warm up every path (module load, D1/R2 files, the provider's drawing) before measuring
    await measure(4, 20, direct);
    for (const f of ["url", "b64_json"] as const) {
      await measure(4, 20, worker(token, f));
      await measure(4, 20, worker(limited, f));
    }
    for (const [, fn] of floors) await measure(4, 20, fn);

    console.log("wrangler dev floor (no provider call)");
    console.log("| request | in flight | requests | p50 | p99 |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [name, fn] of floors) {
      for (const [c, n] of ROUNDS) {
        const [p50, p99] = p5099(await measure(c, n, fn));
        console.log(`| ${name} | ${c} | ${n} | ${fmt(p50)} | ${fmt(p99)} |`);
      }
    }
    console.log("");

    console.log(
      `R2 put alone of ${(pngBytes / 1024).toFixed(0)} KiB (miniflare's local R2, timed around put inside workerd)`,
    );
    console.log("| in flight | puts | p50 | p99 |");
    console.log("|---:|---:|---:|---:|");
    const puts = new Map<number, readonly [number, number]>();
    for (const [c, n] of ROUNDS) {
      const pp = p5099(await r2PutAlone(pngBytes, c, n));
      puts.set(c, pp);
      console.log(`| ${c} | ${n} | ${fmt(pp[0])} | ${fmt(pp[1])} |`);
    }
    console.log("");

    console.log(
      `Worker overhead: 1024x1024 photo-sized PNG (${(pngBytes / 1024).toFixed(0)} KiB), provider latency ${LATENCY_MS} ms`,
    );
    console.log(
      "| answer | token | in flight | requests | direct p50 | direct p99 | Worker p50 | Worker p99 | added p50 | added p99 | Worker / direct p50 | target (p50) |",
    );
    console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const format of ["b64_json", "url"] as const) {
      for (const [label, bearer] of [
        ["no limits", token],
        ["quota + rpm", limited],
      ] as const) {
        for (const [c, n] of ROUNDS) {
          const [dt, wt] = await interleaved(c, n, direct, worker(bearer, format));
          const [d50, d99] = p5099(dt);
          const [w50, w99] = p5099(wt);
          const put50 = puts.get(c)?.[0] ?? 0;
          const limit = format === "b64_json" ? d50 * 1.15 : (d50 + put50) * 1.15;
          const target =
            c === 1
              ? `${w50 <= limit ? "met" : "NOT met"}: <= ${fmt(limit)} (${format === "b64_json" ? "direct" : "direct + put"} + 15 %)`
              : "-";
          console.log(
            `| ${format} | ${label} | ${c} | ${n} | ${fmt(d50)} | ${fmt(d99)} | ${fmt(w50)} | ${fmt(w99)} | ${fmt(w50 - d50)} | ${fmt(w99 - d99)} | ${(w50 / d50).toFixed(2)}x | ${target} |`,
          );
        }
      }
    }
    console.log("");

    // stream: true, two partial images: when the first byte and the first partial image arrive
    const streamBody = JSON.stringify({ ...request, stream: true, partial_images: 2 });
    const streamed = async (url: string, headers: Record<string, string>) => {
      const ttfb: number[] = [];
      const partial: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await timedPost(url, headers, streamBody);
        if (r.status !== 200) throw new Error(`stream answered ${r.status}`);
        ttfb.push(r.ttfb);
        partial.push(r.firstPartial);
      }
      return [p5099(ttfb.sort((a, b) => a - b)), p5099(partial.sort((a, b) => a - b))] as const;
    };
    const sd = await streamed(`${stack.provider.url}/images/generations`, providerHeaders);
    const sw = await streamed(`${stack.origin}/v1/images/generations`, {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    });
    console.log("stream: true (partial_images 2), 20 requests one at a time");
    console.log("| | direct p50 | direct p99 | Worker p50 | Worker p99 | added p50 |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(
      `| first byte | ${fmt(sd[0][0])} | ${fmt(sd[0][1])} | ${fmt(sw[0][0])} | ${fmt(sw[0][1])} | ${fmt(sw[0][0] - sd[0][0])} |`,
    );
    console.log(
      `| first partial image | ${fmt(sd[1][0])} | ${fmt(sd[1][1])} | ${fmt(sw[1][0])} | ${fmt(sw[1][1])} | ${fmt(sw[1][0] - sd[1][0])} |`,
    );
    console.log("");
    console.log(
      "D1 round trips per image request: 1 before the provider call, 1 after, with or without an Idempotency-Key, by bearer token or console session (counted with a counting D1 binding in src/routes/images/hotpath.test.ts)",
    );
    console.log(`load average at the end: ${load()}`);
  } finally {
    await stack.stop();
  }
}

/** Part 2: peak memory per scenario, each in a fresh stack. */
async function memoryTable(): Promise<void> {
  console.log("");
  console.log("Peak memory (VmHWM, after warm-up -> after) for one request of n noisy 3840x2160 PNGs (~11 MiB each)");
  console.log(
    "| n | answer | run under | time | Worker's workerd (isolate + local D1/R2/Workflows) | wrangler proxy workerd | most fds | result |",
  );
  console.log("|---:|---|---|---:|---|---|---:|---|");
  const runs: [number, Route, boolean][] = [
    [1, "url", false],
    [10, "url", false],
    [10, "b64_json", false],
    [10, "jobs", false],
    [2, "url", true],
  ];
  for (const [n, route, inspector] of runs) console.log(await memory(n, route, inspector));
}

main().catch(async (err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
