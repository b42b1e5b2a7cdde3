/**
 * `npm run bench -w apps/worker`: Worker overhead and memory, against the offline provider.
 *  1. Latency the Worker adds: the same 1024x1024 generation sent straight to the provider and
 *     through `wrangler dev` (answered as a signed URL, so the Worker decodes, stores to R2 and
 *     signs), at 1 and at 50 requests in flight; p50 and p99 of each, and their difference.
 *  2. Peak memory (VmHWM of the workerd processes) for one request of n=1 and n=10 noisy 4K images.
 * Prints figures; never passes or fails. Run on an idle machine; numbers are local-dev figures.
 */
import { readFile } from "node:fs/promises";
import { DEV_SECRETS, descendants, startStack, stopAll } from "./lib/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 200);
const ROUNDS: [concurrency: number, requests: number][] = [
  [1, 40],
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

/**
 * Peak memory for one request of `n` noisy 4K images, in a fresh stack (so earlier load does not
 * count). VmHWM covers the whole workerd process of `wrangler dev`: the Worker's isolate plus the
 * local D1/R2/Workflows simulators that R2 puts go through.
 */
async function memory(n: number): Promise<string> {
  const stack = await startStack();
  try {
    const token = await stack.createToken("bench", "bench");
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const post = (body: object) =>
      fetch(`${stack.origin}/v1/images/generations`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "gpt-image-2", response_format: "url", ...body }),
        signal: AbortSignal.timeout(280_000),
      });
    await expectOk(await post({ prompt: "warm-up", size: "1024x1024" }), "warm-up");
    const pids = (await descendants(stack.wranglerPid)).filter((p) => p.name === "workerd").map((p) => p.pid);
    const before = await Promise.all(pids.map(vmHwmKiB));
    stack.provider.setFaults([{ kind: "noise", times: 1 }]);
    const t = performance.now();
    let outcome: string;
    try {
      const res = await post({ prompt: "noise", size: "3840x2160", n });
      const answer = (await res.json()) as { data?: { url: string }[]; error?: { message: string } };
      if (!res.ok) throw new Error(`${res.status} ${answer.error?.message ?? ""}`);
      const sizes = await Promise.all(
        (answer.data ?? []).map(async (d) => (await (await fetch(d.url)).arrayBuffer()).byteLength),
      );
      outcome = `ok, ${(sizes.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(0)} MiB of PNG`;
    } catch (err) {
      outcome = `FAILED: ${err instanceof Error ? err.message : String(err)}`.slice(0, 160);
    }
    const elapsed = ((performance.now() - t) / 1000).toFixed(1);
    const after = await Promise.all(pids.map(vmHwmKiB));
    const mib = (kib: number | undefined) => `${((kib ?? 0) / 1024).toFixed(0)} MiB`;
    const peak = after.map((a, i) => `${mib(before[i])} -> ${mib(a)}`).join(", ");
    return `| ${n} | ${elapsed} s | ${peak} | ${outcome} |`;
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
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
    const viaWorker = () =>
      fetch(`${stack.origin}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ ...JSON.parse(body), response_format: "url" }),
      }).then((r) => expectOk(r, "worker"));
    // warm up both paths (module load, D1/R2 files, sharp) before measuring
    await measure(4, 20, direct);
    await measure(4, 20, viaWorker);

    console.log(
      `Worker overhead: 1024x1024 PNG, provider latency ${LATENCY_MS} ms, Worker answers response_format=url`,
    );
    console.log("| in flight | requests | direct p50 | direct p99 | Worker p50 | Worker p99 | added p50 | added p99 |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const [c, n] of ROUNDS) {
      const d = await measure(c, n, direct);
      const w = await measure(c, n, viaWorker);
      const [d50, d99, w50, w99] = [pct(d, 50), pct(d, 99), pct(w, 50), pct(w, 99)];
      console.log(
        `| ${c} | ${n} | ${fmt(d50)} | ${fmt(d99)} | ${fmt(w50)} | ${fmt(w99)} | ${fmt(w50 - d50)} | ${fmt(w99 - d99)} |`,
      );
    }
  } finally {
    await stack.stop();
  }
  console.log("");
  console.log(
    "Peak memory (VmHWM of each workerd process, after warm-up -> after) for one request of n noisy 3840x2160 PNGs, response_format=url",
  );
  console.log("| n | time | workerd VmHWM | result |");
  console.log("|---:|---:|---|---|");
  for (const n of [1, 10]) console.log(await memory(n));
}

main().catch(async (err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
