import type { ImageUsage } from "./types.ts";

/** A provider's `error` object as found in a 2xx body or an SSE `error` event. */
export interface ProviderErrorBody {
  message: string;
  type?: string;
  code?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

const details = (v: unknown): { textTokens?: number; imageTokens?: number } | undefined => {
  if (!isObject(v)) return undefined;
  const out: { textTokens?: number; imageTokens?: number } = {};
  const text = num(v.text_tokens);
  const image = num(v.image_tokens);
  if (text !== undefined) out.textTokens = text;
  if (image !== undefined) out.imageTokens = image;
  return out;
};

/**
 * Maps a wire `usage` object (images API, or chat's prompt/completion names) to `ImageUsage`.
 * @internal
 */
export const toImageUsage = (v: unknown): ImageUsage | undefined => {
  if (!isObject(v)) return undefined;
  const input = num(v.input_tokens) ?? num(v.prompt_tokens);
  const output = num(v.output_tokens) ?? num(v.completion_tokens);
  const total = num(v.total_tokens);
  if (input === undefined && output === undefined && total === undefined) return undefined;
  const u: ImageUsage = {
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    totalTokens: total ?? (input ?? 0) + (output ?? 0),
  };
  const inDetails = details(v.input_tokens_details ?? v.prompt_tokens_details);
  const outDetails = details(v.output_tokens_details ?? v.completion_tokens_details);
  if (inDetails) u.inputTokensDetails = inDetails;
  if (outDetails) u.outputTokensDetails = outDetails;
  return u;
};

/**
 * Reads `{ message, type, code }` from an `error` value; a bare string is taken as the message.
 * @internal
 */
export const toProviderError = (v: unknown): ProviderErrorBody | undefined => {
  if (typeof v === "string") return { message: v };
  if (!isObject(v)) return undefined;
  const message = typeof v.message === "string" ? v.message : JSON.stringify(v);
  const e: ProviderErrorBody = { message };
  if (typeof v.type === "string") e.type = v.type;
  if (typeof v.code === "string" || typeof v.code === "number") e.code = String(v.code);
  return e;
};

/** Bytes asked for per read of a body that lets its reader supply the buffer. */
const READ_SIZE = 64 * 1024;

/**
 * Yields a body's chunks; cancels the stream when the reader stops early or fails, so a
 * broken-off read does not keep the connection open. A byte stream (fetch bodies in workerd,
 * Node and browsers) is read into 64 KiB buffers: its default reader hands out whatever the
 * runtime received at a time, 4 KiB in workerd, and every chunk costs each stage after it
 * (scanning, the base64 tap, a gateway's writes) about as much as moving several KiB.
 * A read that fills less than half its buffer yields a copy of its size, so a slow trickle
 * never pins 64 KiB per chunk; its buffer is used again.
 * @internal
 */
export async function* readBody(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const byob = byobReader(body);
  const reader = byob ?? body.getReader();
  let finished = false;
  try {
    if (byob) {
      let buf = new Uint8Array(READ_SIZE);
      for (;;) {
        const { done, value } = await byob.read(buf);
        if (done || !value) break;
        if (value.length >= READ_SIZE / 2) {
          buf = new Uint8Array(READ_SIZE);
          yield value;
        } else {
          const copy = value.slice();
          buf = new Uint8Array(value.buffer);
          if (copy.length > 0) yield copy;
        }
      }
    } else {
      const plain = reader as ReadableStreamDefaultReader<Uint8Array>;
      for (;;) {
        const { done, value } = await plain.read();
        if (done) break;
        if (value.length > 0) yield value;
      }
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A reader that fills buffers of our size, or undefined where the stream is not a byte stream. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return (body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader({ mode: "byob" });
  } catch {
    return undefined;
  }
}
