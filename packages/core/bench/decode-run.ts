/**
 * Runs one decode variant in this process and prints one JSON line with its time and memory.
 * Started by decode.bench.ts, one process per variant, so peak memory belongs to that variant.
 *   tsx bench/decode-run.ts <drain|stream|stream-gc|stream-sink|naive|throughput>
 * `stream-sink` passes a sink to readImagesResponse: decoded pieces go there, no image is held.
 * `stream-gc` collects garbage after each image (node --expose-gc, Bun.gc): the live set alone,
 * which is what a runtime near its memory limit (a Worker isolate) falls back to.
 * `drain` only reads the body: the memory the chunks themselves cost, to compare the others with.
 */
import { Buffer } from "node:buffer";
import { type Base64Engine, Base64StreamDecoder, decodeBase64 } from "../src/base64.ts";
import { simdBase64 } from "../src/base64-simd.ts";
import { ByteBlocks } from "../src/byte-blocks.ts";
import { readImagesResponse } from "../src/read-images.ts";
import { CHUNK, Fingerprinter, fingerprint, IMAGE_BYTES, IMAGES, makePayload, responseStream } from "./payload.ts";

const rss = (): number => process.memoryUsage().rss;
const MB = 1e6;
const variant = process.argv[2] ?? "stream";
/** rounds of the throughput variant; the best of each decoder counts */
const ROUNDS = 7;
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
} else if (variant === "stream-sink") {
  // each image's bytes go to a sink as decoded (as a CLI writing a file would); checked by a
  // running fingerprint over the pieces, never joined
  let images = 0;
  const sink = () => {
    const probe = new Fingerprinter(IMAGE_BYTES);
    return {
      write: (piece: Uint8Array) => {
        probe.add(piece);
        sample();
      },
      close: () => {
        if (probe.result() !== p.expected) throw new Error("stream-sink: decoded image differs from the original");
        images++;
      },
    };
  };
  for await (const _ of readImagesResponse(responseStream(p, sample), { sink })) sample();
  if (images !== IMAGES) throw new Error(`stream-sink: ${images} images`);
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
  // Throughput only, every decoder in this process and interleaved round by round, so load from
  // other processes hits them alike: the same base64 decoded IMAGES times per round, best round.
  const b64s = new TextDecoder().decode(p.b64);
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  const hasSetFromBase64 = "setFromBase64" in Uint8Array.prototype;
  const chunked = (engine: Base64Engine) => () => {
    const d = new Base64StreamDecoder({ engine });
    // sized by the previous image, as readImagesResponse does from the second image on
    const out = new ByteBlocks(IMAGE_BYTES);
    for (let i = 0; i < p.b64.length; i += CHUNK) d.writeBytes(p.b64, i, Math.min(p.b64.length, i + CHUNK), out, true);
    d.finish(out);
    return out.take();
  };
  const runs: Record<string, () => Uint8Array> = {
    "Buffer.from(s, 'base64')": () => Buffer.from(b64s, "base64"),
    ...(fromBase64 ? { "Uint8Array.fromBase64(s)": () => fromBase64(b64s) } : {}),
    "Base64StreamDecoder, 64 KiB byte chunks (auto)": chunked("auto"),
    ...(simdBase64() ? { "Base64StreamDecoder, 64 KiB byte chunks (WebAssembly SIMD)": chunked("simd") } : {}),
    ...(hasSetFromBase64 ? { "Base64StreamDecoder, 64 KiB byte chunks (setFromBase64)": chunked("native") } : {}),
    "Base64StreamDecoder, 64 KiB byte chunks (pair tables)": chunked("tables"),
    "decodeBase64(s)": () => decodeBase64(b64s),
  };
  const best: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(runs)) {
      const t = performance.now();
      for (let i = 0; i < IMAGES; i++) check(run());
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, performance.now() - t);
    }
  }
  decodedMBps = {};
  for (const [name, ms] of Object.entries(best))
    decodedMBps[name] = Math.round((p.b64.length * IMAGES) / MB / (ms / 1000));
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
