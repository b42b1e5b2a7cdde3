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

/**
 * Yields a body's chunks; cancels the stream when the reader stops early or fails, so a
 * broken-off read does not keep the connection open.
 * @internal
 */
export async function* readBody(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (value.length > 0) yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
