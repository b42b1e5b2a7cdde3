/**
 * `npx tsx scripts/bench-webhooks.ts` (part of `npm run bench -w apps/worker`): time from a chat
 * webhook request to its ack under `wrangler dev`, for each platform, at 1 and 50 deliveries in
 * flight; p50 and p99. Every delivery is signed like the platform signs it, passes verification,
 * the allow-list and dedupe, and starts a real job (Workflow + offline provider). The provider
 * answers after BENCH_PROVIDER_LATENCY_MS (default 120 s, like a real image API), so the jobs
 * wait upstream while acks are measured: in production Workflows run apart from the webhook's
 * isolate, while local workerd runs everything on one thread and image decoding would
 * otherwise be timed as webhook latency.
 * Prints figures; never passes or fails. Target: p99 under 100 ms.
 */

import {
  discordCommand,
  discordRequest,
  feishuMessage,
  feishuRequest,
  slackRequest,
  slashBody,
  startChatFake,
  telegramRequest,
  telegramUpdate,
  WEBHOOK_SECRETS,
} from "../test/e2e/webhooks-support.ts";
import { startStack, stopAll } from "./lib/stack.ts";

const LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 120_000);
/**
 * The last round sends one delivery at a time with a pause after each ack, so the job started
 * by the previous delivery (claim, quota, job row, Workflow) is no longer running on local
 * workerd's single thread: it times the ack path alone.
 */
const ROUNDS: [concurrency: number, requests: number, pauseMs: number][] = [
  [1, 40, 0],
  [50, 200, 0],
  [1, 40, 500],
];

process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  times: number[];
  /** answers other than 200 (e.g. 503 from an overloaded local dev server) */
  failures: Map<number, number>;
}

/** Runs `total` acks with `concurrency` in flight; the clock starts after the request is signed. */
async function measure(
  concurrency: number,
  total: number,
  build: () => Promise<Request>,
  pauseMs = 0,
): Promise<Figures> {
  const times: number[] = [];
  const failures = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const req = await build();
        const t = performance.now();
        const res = await fetch(req);
        await res.arrayBuffer();
        times.push(performance.now() - t);
        if (res.status !== 200) failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
        if (pauseMs) await sleep(pauseMs);
      }
    }),
  );
  return { times: times.sort((a, b) => a - b), failures };
}

type Build = (origin: string) => Promise<Request>;

const SCENARIOS: [string, Build][] = [
  ["baseline: GET /healthz", async (o) => new Request(`${o}/healthz`)],
  [
    "telegram, bad option (verify + parse, no job)",
    async (o) => telegramRequest(o, telegramUpdate({ text: "/image a benchmark quality=bad" })),
  ],
  ["slack slash command", (o) => slackRequest(o, slashBody("best image: a benchmark size=1024x1024 quality=low"))],
  ["discord /image (Ed25519)", (o) => discordRequest(o, discordCommand("a benchmark"))],
  ["telegram /image", async (o) => telegramRequest(o, telegramUpdate({ text: "/image a benchmark quality=low" }))],
  ["feishu message (signed, AES-CBC)", (o) => feishuRequest(o, feishuMessage("best image: a benchmark quality=low"))],
];

async function main(): Promise<void> {
  const fake = await startChatFake();
  try {
    console.log(`Webhook ack latency under wrangler dev (request sent → ack read); provider latency ${LATENCY_MS} ms`);
    console.log("| request | in flight | requests | pause after ack | p50 | p99 | non-200 |");
    console.log("|---|---:|---:|---:|---:|---:|---|");
    // A fresh stack per scenario: jobs left hanging at the provider by one scenario do not weigh on the next.
    for (const [name, build] of SCENARIOS) {
      const stack = await startStack({
        provider: { latencyMs: LATENCY_MS },
        vars: { ...WEBHOOK_SECRETS, ...fake.bases },
      });
      try {
        const b = () => build(stack.origin);
        await measure(2, 6, b); // warm up
        await sleep(2000);
        for (const [c, n, pause] of ROUNDS) {
          const f = await measure(c, n, b, pause);
          const bad = [...f.failures].map(([s, k]) => `${k}×${s}`).join(", ") || "0";
          console.log(
            `| ${name} | ${c} | ${n} | ${pause} ms | ${fmt(pct(f.times, 50))} | ${fmt(pct(f.times, 99))} | ${bad} |`,
          );
          await sleep(2000);
        }
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await fake.close();
  }
}

main().catch(async (err: unknown) => {
  console.error(`bench-webhooks failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
