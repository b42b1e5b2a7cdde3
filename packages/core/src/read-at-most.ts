/**
 * The whole stream as one buffer, or null (and the stream cancelled) once it passes `max`
 * bytes: for request bodies checked before a handler sees them, and for downloads whose size
 * is known or bounded. An oversized stream is never held whole.
 * @example
 * const bytes = await readAtMost(res.body, 20 * 1024 * 1024);
 * if (bytes === null) throw new Error("over 20 MiB");
 */
export async function readAtMost(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
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
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
