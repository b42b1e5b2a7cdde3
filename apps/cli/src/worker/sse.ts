/** One server-sent event. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a `text/event-stream` body (WHATWG HTML §9.2): `event:`, `data:` (joined by `\n`),
 * `id:`, comments; a blank line ends an event. Lines may be split across chunks and end in
 * CRLF, CR or LF. Each buffered line is bounded so a hostile stream cannot grow memory forever.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>, maxLine = 1 << 20): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buf = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  const flushLine = function* (line: string): Generator<SseMessage> {
    if (line === "") {
      if (data.length > 0)
        yield { event: event || "message", data: data.join("\n"), ...(id !== undefined ? { id } : {}) };
      event = "";
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  };
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        if (!m) break;
        // A lone CR at the very end may be the first half of CRLF split across chunks.
        if (m[0] === "\r" && m.index === buf.length - 1 && !done) break;
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        yield* flushLine(line);
      }
      if (buf.length > maxLine) throw new Error(`event stream line longer than ${maxLine} bytes`);
      if (done) {
        if (buf !== "") yield* flushLine(buf);
        yield* flushLine("");
        return;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
