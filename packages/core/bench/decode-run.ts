/**
 * Runs one decode variant in this process and prints one JSON line with its time and memory.
 * Started by decode.bench.ts, one process per variant, so peak memory belongs to that variant.
 *   tsx bench/decode-run.ts <drain|stream|stream-gc|naive|decoder|native>
 * `stream-gc` collects garbage after each image (node --expose-gc, Bun.gc): the live set alone,
 * which is what a runtime near its memory limit (a Worker isolate) falls back to.
 * `drain` only reads the body: the memory the chunks themselves cost, to compare the others with.
 */
import { Buffer } from "node:buffer";
import { Base64StreamDecoder, decodeBase64 } from "../src/base64.ts";
import { ByteBlocks } from "../src/byte-blocks.ts";
import { readImagesResponse } from "../src/read-images.ts";
import { CHUNK, fingerprint, IMAGES, makePayload, responseStream } from "./payload.ts";

const rss = (): number => process.memoryUsage().rss;
const MB = 1e6;
const variant = process.argv[2] ?? "stream";
const p = makePayload();
let peak = rss();
const sample = (): void => {
  const r = rss();
  if (r > peak) peak = r;
};
const check = (bytes: Uint8Array): void => {
  if (fingerprint(bytes) !== p.expected) throw new Error(`${variant}: decoded image differs from the original`);
};

const base = rss();
peak = base;
const t0 = performance.now();
let decodedMBps: Record<string, number> | undefined;

if (variant === "drain") {
  const reader = responseStream(p, sample).getReader();
  while (!(await reader.read()).done) sample();
} else if (variant === "stream" || variant === "stream-gc") {
  const g = globalThis as { gc?: () => void; Bun?: { gc: (force: boolean) => void } };
  const collect = variant === "stream-gc" ? (g.gc ?? (() => g.Bun?.gc(true))) : () => undefined;
  let images = 0;
  for await (const part of readImagesResponse(responseStream(p, sample))) {
    sample();
    if (part.kind === "image") {
      check(part.bytes);
      images++;
    }
    collect();
  }
  if (images !== IMAGES) throw new Error(`stream: ${images} images`);
} else if (variant === "naive") {
  const text = await new Response(responseStream(p, sample)).text();
  sample();
  const json = JSON.parse(text) as { data: { b64_json: string }[] };
  sample();
  for (const item of json.data) {
    check(Buffer.from(item.b64_json, "base64"));
    sample();
  }
} else {
  // Throughput only: decode the same base64 IMAGES times, best of five rounds.
  const b64s = new TextDecoder().decode(p.b64);
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  const runs: Record<string, () => Uint8Array> =
    variant === "native"
      ? {
          "Buffer.from(s, 'base64')": () => Buffer.from(b64s, "base64"),
          ...(fromBase64 ? { "Uint8Array.fromBase64": () => fromBase64(b64s) } : {}),
        }
      : {
          "Base64StreamDecoder (64 KiB byte chunks)": () => {
            const d = new Base64StreamDecoder();
            const out = new ByteBlocks();
            for (let i = 0; i < p.b64.length; i += CHUNK)
              d.writeBytes(p.b64, i, Math.min(p.b64.length, i + CHUNK), out, true);
            d.finish(out);
            return out.take();
          },
          "decodeBase64(string)": () => decodeBase64(b64s),
        };
  decodedMBps = {};
  for (const [name, run] of Object.entries(runs)) {
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      for (let i = 0; i < IMAGES; i++) check(run());
      best = Math.min(best, performance.now() - t);
    }
    decodedMBps[name] = Math.round((p.b64.length * IMAGES) / MB / (best / 1000));
  }
}

const ms = performance.now() - t0;
sample();
console.log(
  JSON.stringify({
    variant,
    ms: Math.round(ms),
    jsonMB: +(p.jsonBytes / MB).toFixed(1),
    MBps: Math.round(p.jsonBytes / MB / (ms / 1000)),
    peakGrowthMB: +((peak - base) / MB).toFixed(1),
    baseRssMB: +(base / MB).toFixed(1),
    decodedMBps,
  }),
);
