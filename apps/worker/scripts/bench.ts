/**
 * `npm run bench -w apps/worker`: Worker overhead and memory, against the offline provider.
 *  1. Latency the Worker adds: the same 1024x1024 generation sent straight to the provider and
 *     through `wrangler dev` (answered as a signed URL, so the Worker decodes, stores to R2 and
 *     signs), at 1 and at 50 requests in flight; p50 and p99 of each, and their difference.
 *  2. Peak memory (VmHWM of the workerd processes) for one request of n=1 and n=10 noisy 4K images,
 *     answered as URLs, as b64_json and as a job, with wrangler's DevTools inspector off (its proxy
 *     grows with every upstream chunk and is not part of a deployed Worker), and n=2 under plain
 *     `wrangler dev` for comparison.
 * Prints figures; never passes or fails. Run on an idle machine; numbers are local-dev figures.
 */
import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { DEV_SECRETS, descendants, startStack, stopAll } from "./lib/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 200);
const ROUNDS: [concurrency: number, requests: number][] = [
  [1, 100],
  [50, 200],
];

process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

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

/** Part 1: the latency the Worker adds. */
async function overhead(): Promise<void> {
  const stack = await startStack({ provider: { latencyMs: LATENCY_MS } });
  try {
    const token = await stack.createToken("bench", "bench");
    const body = JSON.stringify({ model: "gpt-image-2", prompt: "benchmark", size: "1024x1024" });
    const direct = () =>
      fetch(`${stack.provider.url}/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${DEV_SECRETS.PROVIDER_API_KEY}`, "content-type": "application/json" },
        body,
      }).then((r) => expectOk(r, "provider"));
    const limited = await limitedToken(stack.origin);
    const worker = (bearer: string) => () =>
      fetch(`${stack.origin}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify({ ...JSON.parse(body), response_format: "url" }),
      }).then((r) => expectOk(r, "worker"));
    const viaWorker = worker(token);
    const viaWorkerLimited = worker(limited);
    // wrangler dev's own floor: a request that touches neither D1 nor R2, and one D1 round trip
    const floor = (path: string) => () => fetch(`${stack.origin}${path}`).then((r) => r.arrayBuffer().then(() => {}));
    const floors: [string, () => Promise<void>][] = [
      ["GET /nope (404, no D1)", floor("/nope")],
      ["GET /healthz (one D1 query)", floor("/healthz")],
    ];
    // warm up both paths (module load, D1/R2 files, sharp) before measuring
    await measure(4, 20, direct);
    await measure(4, 20, viaWorker);
    await measure(4, 20, viaWorkerLimited);
    for (const [, fn] of floors) await measure(4, 20, fn);

    console.log("wrangler dev floor (no provider call)");
    console.log("| request | in flight | requests | p50 | p99 |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [name, fn] of floors) {
      for (const [c, n] of ROUNDS) {
        const t = await measure(c, n, fn);
        console.log(`| ${name} | ${c} | ${n} | ${fmt(pct(t, 50))} | ${fmt(pct(t, 99))} |`);
      }
    }
    console.log("");

    console.log(
      `Worker overhead: 1024x1024 PNG, provider latency ${LATENCY_MS} ms, Worker answers response_format=url`,
    );
    console.log(
      "| token | in flight | requests | direct p50 | direct p99 | Worker p50 | Worker p99 | added p50 | added p99 |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const [label, fn] of [
      ["no limits", viaWorker],
      ["quota + rpm", viaWorkerLimited],
    ] as const) {
      for (const [c, n] of ROUNDS) {
        const d = await measure(c, n, direct);
        const w = await measure(c, n, fn);
        const [d50, d99, w50, w99] = [pct(d, 50), pct(d, 99), pct(w, 50), pct(w, 99)];
        console.log(
          `| ${label} | ${c} | ${n} | ${fmt(d50)} | ${fmt(d99)} | ${fmt(w50)} | ${fmt(w99)} | ${fmt(w50 - d50)} | ${fmt(w99 - d99)} |`,
        );
      }
    }
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
