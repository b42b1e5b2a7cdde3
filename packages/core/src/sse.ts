import { BadResponseError } from "./errors/index.ts";
import { readBody, toImageUsage, toProviderError } from "./response-fields.ts";
import { type EventData, EventDataReader } from "./sse-event-data.ts";
import type { ImageUsage } from "./types.ts";

interface ImageSettings {
  outputFormat?: string;
  size?: string;
  quality?: string;
  background?: string;
}

/** One image event from a streamed generation or edit. */
export type SseImageEvent =
  | ({ type: "partial"; index: number; partialIndex: number; bytes: Uint8Array } & ImageSettings)
  | ({
      type: "completed";
      index: number;
      bytes: Uint8Array;
      usage?: ImageUsage;
      revisedPrompt?: string;
    } & ImageSettings)
  /** `possiblyBilled`: the error said `possibly_billed: true` (gptimg's Worker does, once a provider began) */
  | { type: "error"; message: string; code?: string; possiblyBilled?: true };

// Line states (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
const FIELD = 0; // reading a field name
const SKIP = 1; // a comment or a field we ignore
const DATA_START = 2; // just after "data:", where one space is dropped
const DATA = 3;
const EVENT = 4;
const LF = 0x0a;
const CR = 0x0d;
/** a field name longer than this is not one we know */
const MAX_FIELD = 16;
const MAX_EVENT_NAME = 256;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Splits an event stream into lines and events; the data of each event goes to a reader. */
class SseImageParser {
  readonly out: SseImageEvent[] = [];
  private state = FIELD;
  private field = "";
  private lineBytes = 0;
  private afterCR = false;
  private eventName = "";
  private data: EventDataReader | undefined;
  private dataLines = 0;
  private events = 0;
  private completed = 0;
  private bytesRead = 0;
  private done = false;

  push(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    // a CRLF split across two chunks is one line break
    if (this.afterCR && buf[0] === LF) i = 1;
    // a byte order mark may open the stream
    if (this.bytesRead === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    this.afterCR = false;
    this.bytesRead += n;
    while (i < n) {
      if (this.state === FIELD || this.state === DATA_START) {
        const c = buf[i]!;
        if (c === LF || c === CR) {
          i = this.endLine(buf, i);
          continue;
        }
        i++;
        this.lineBytes++;
        if (this.state === DATA_START) {
          this.state = DATA;
          if (c === 0x20) continue;
          this.dataReader().write(buf, i - 1, i);
        } else if (c === 0x3a) this.startValue();
        else if (this.field.length < MAX_FIELD) this.field += String.fromCharCode(c);
        else this.state = SKIP;
        continue;
      }
      let e = buf.indexOf(LF, i);
      const r = buf.indexOf(CR, i);
      if (e < 0 || (r >= 0 && r < e)) e = r;
      if (e < 0) e = n;
      if (this.state === DATA) this.dataReader().write(buf, i, e);
      else if (this.state === EVENT) {
        this.field += new TextDecoder().decode(buf.subarray(i, e));
        if (this.field.length > MAX_EVENT_NAME)
          throw new BadResponseError(`event name longer than ${MAX_EVENT_NAME} characters`);
      }
      this.lineBytes += e - i;
      i = e < n ? this.endLine(buf, e) : n;
    }
  }

  /** The stream ended: an event cut in the middle is an error, a finished one without its blank line is kept. */
  end(): void {
    if (this.data && this.dataLines > 0) {
      if (this.data.complete) this.dispatch();
      else
        throw new BadResponseError(
          `event stream ended early after ${this.bytesRead} bytes, inside event ${this.events + 1}`,
        );
    }
  }

  private dataReader(): EventDataReader {
    this.data ??= new EventDataReader(`event ${this.events + 1}`);
    return this.data;
  }

  private startValue(): void {
    const f = this.field;
    this.field = "";
    if (f === "data") {
      if (this.dataLines++ > 0) this.dataReader().newline();
      this.state = DATA_START;
    } else if (f === "event") this.state = EVENT;
    else this.state = SKIP; // comments (empty name), id, retry and unknown fields
  }

  private endLine(buf: Uint8Array, i: number): number {
    const c = buf[i];
    i++;
    if (c === CR) {
      if (i === buf.length) this.afterCR = true;
      else if (buf[i] === LF) i++;
    }
    if (this.lineBytes === 0) this.dispatch();
    else if (this.state === FIELD) {
      // a line with no colon names a field with an empty value
      if (this.field === "data" && this.dataLines++ > 0) this.dataReader().newline();
      if (this.field === "event") this.eventName = "";
    } else if (this.state === EVENT) this.eventName = this.field.startsWith(" ") ? this.field.slice(1) : this.field;
    this.state = FIELD;
    this.field = "";
    this.lineBytes = 0;
    return i;
  }

  private dispatch(): void {
    const reader = this.data;
    const name = this.eventName;
    const hadData = this.dataLines > 0;
    this.data = undefined;
    this.dataLines = 0;
    this.eventName = "";
    if (!hadData || !reader) return;
    this.events++;
    const data = reader.finish();
    if (this.done) return;
    const ev = this.toEvent(name, data);
    if (ev) this.out.push(ev);
  }

  private toEvent(name: string, data: EventData): SseImageEvent | undefined {
    if (data.kind === "text") {
      if (data.text === "[DONE]") {
        this.done = true;
        return undefined;
      }
      // not quoted: a slice could carry part of a secret that redaction would no longer recognise
      throw new BadResponseError(`event ${this.events} data is not JSON (${data.text.length} characters of text)`);
    }
    const f = data.fields;
    const type = str(f.type) ?? name;
    if (type === "error" || name === "error" || (f.error !== undefined && f.error !== null)) {
      const body = f.error ?? f;
      const e = toProviderError(body) ?? { message: `event ${this.events} reported an error` };
      const billed =
        typeof body === "object" && body !== null && "possibly_billed" in body && body.possibly_billed === true;
      return {
        type: "error",
        message: e.message,
        ...(e.code === undefined ? {} : { code: e.code }),
        ...(billed ? { possiblyBilled: true as const } : {}),
      };
    }
    const partial = type.endsWith(".partial_image");
    if (!partial && !type.endsWith(".completed")) return undefined;
    if (!data.bytes) throw new BadResponseError(`event ${this.events} (${type}) has no b64_json image`);
    const settings: ImageSettings = {};
    const fmt = str(f.output_format);
    if (fmt !== undefined) settings.outputFormat = fmt;
    for (const k of ["size", "quality", "background"] as const) {
      const v = str(f[k]);
      if (v !== undefined) settings[k] = v;
    }
    if (partial) {
      const p = f.partial_image_index;
      const partialIndex = typeof p === "number" ? p : 0;
      return { type: "partial", index: this.completed, partialIndex, bytes: data.bytes, ...settings };
    }
    const ev: SseImageEvent = { type: "completed", index: this.completed++, bytes: data.bytes, ...settings };
    const usage = toImageUsage(f.usage);
    if (usage) ev.usage = usage;
    const rp = str(f.revised_prompt);
    if (rp !== undefined) ev.revisedPrompt = rp;
    return ev;
  }
}

/**
 * Reads a streamed image response (`text/event-stream`) as events: `partial` images while the
 * provider works, `completed` with the final image and usage, or `error`. Events named
 * `image_generation.*` and `image_edit.*` (and the Responses API's `partial_image_b64`) are
 * understood; others are skipped; `[DONE]` ends the stream. Each image is decoded while its line
 * arrives, so memory holds one event's image, never a whole line of base64.
 * @example
 * for await (const ev of parseImageEvents(res.body!)) if (ev.type === "completed") await save(ev.bytes);
 */
export async function* parseImageEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<SseImageEvent, void, undefined> {
  const parser = new SseImageParser();
  const out = parser.out;
  for await (const chunk of readBody(body)) {
    parser.push(chunk);
    while (out.length > 0) yield out.shift() as SseImageEvent;
  }
  parser.end();
  while (out.length > 0) yield out.shift() as SseImageEvent;
}
