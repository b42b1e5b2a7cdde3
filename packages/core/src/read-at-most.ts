/**
 * The whole stream as one buffer, or null (and the stream cancelled) once it passes `max`
 * bytes: for request bodies checked before a handler sees them, and for downloads whose size
 * is known or bounded. An oversized stream is never held whole. Once `signal` aborts, the stream
 * is cancelled and the promise rejects with its reason (a body that stalls is not waited on).
 * @example
 * const bytes = await readAtMost(res.body, 20 * 1024 * 1024);
 * if (bytes === null) throw new Error("over 20 MiB");
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array>,
  max: number,
  signal?: AbortSignal,
): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  // cancelling ends a pending read with `done`, so the loop below stops at once
  const stop = () => void reader.cancel(signal?.reason).catch(() => undefined);
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  } finally {
    signal?.removeEventListener("abort", stop);
  }
  if (signal?.aborted) throw signal.reason;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
