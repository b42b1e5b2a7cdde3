import { Base64Sink } from "./base64-sink.ts";
import { ByteBlocks } from "./byte-blocks.ts";
import { BadResponseError } from "./errors/index.ts";
import { JsonScanner, type PathItem, type ScanHandler, type StringSink } from "./json-scan.ts";

/** the wire fields that carry an image inside an event: the images API's, the Responses API's */
const IMAGE_FIELDS = new Set(["b64_json", "partial_image_b64"]);
/** longest data that is not a JSON object (such as `[DONE]`) */
const MAX_TEXT = 1024 * 1024;

/** Top-level fields of one event's JSON, with its image decoded on the fly. */
class EventHandler implements ScanHandler {
  readonly fields: Record<string, unknown> = {};
  sink: Base64Sink<ByteBlocks> | undefined;
  constructor(private readonly label: string) {}
  descend(path: readonly PathItem[], kind: "object" | "array"): boolean {
    return path.length === 0 && kind === "object";
  }
  streamString(path: readonly PathItem[]): StringSink | undefined {
    const key = path[0];
    if (path.length !== 1 || typeof key !== "string" || !IMAGE_FIELDS.has(key)) return undefined;
    if (this.sink) throw new BadResponseError(`${this.label} carries two images`);
    this.sink = new Base64Sink(`${this.label} ${key}`, new ByteBlocks());
    return this.sink;
  }
  value(path: readonly PathItem[], v: unknown): void {
    if (path.length === 0) throw new BadResponseError(`${this.label} data is not a JSON object`);
    if (path.length === 1) this.fields[path[0] as string] = v;
  }
}

/** What one event's data turned out to be. */
export type EventData =
  | { kind: "json"; fields: Record<string, unknown>; bytes: Uint8Array | undefined }
  | { kind: "text"; text: string };

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * The data of one event, fed line by line. A JSON object is scanned as it arrives so a
 * completed event's ~15 MB of base64 is decoded on the fly, never held as text; anything else
 * (`[DONE]`) is kept as bounded text.
 * @internal
 */
export class EventDataReader {
  private scanner: JsonScanner | undefined;
  private handler: EventHandler | undefined;
  private text: Uint8Array[] | undefined;
  private textBytes = 0;
  private static readonly LF = new Uint8Array([0x0a]);

  constructor(private readonly label: string) {}

  /** true unless a JSON object is still open (an event may arrive without its final blank line) */
  get complete(): boolean {
    return this.scanner ? this.scanner.complete : true;
  }

  /** the newline that joins two `data:` lines */
  newline(): void {
    this.write(EventDataReader.LF, 0, 1);
  }

  write(buf: Uint8Array, start: number, end: number): void {
    if (start >= end) return;
    if (this.scanner) {
      this.scanner.write(buf.subarray(start, end));
      return;
    }
    if (!this.text) {
      while (start < end && isWs(buf[start]!)) start++;
      if (start === end) return;
      if (buf[start] === 0x7b) {
        this.handler = new EventHandler(this.label);
        this.scanner = new JsonScanner(this.handler, { label: `${this.label} data` });
        this.scanner.write(buf.subarray(start, end));
        return;
      }
      this.text = [];
    }
    this.textBytes += end - start;
    if (this.textBytes > MAX_TEXT)
      throw new BadResponseError(`${this.label} data is longer than ${MAX_TEXT} bytes and not JSON`);
    this.text.push(buf.slice(start, end));
  }

  /** Ends the data: the JSON must be complete. */
  finish(): EventData {
    if (this.scanner && this.handler) {
      this.scanner.end();
      return { kind: "json", fields: this.handler.fields, bytes: this.handler.sink?.blocks.take() };
    }
    const all = new Uint8Array(this.textBytes);
    let o = 0;
    for (const part of this.text ?? []) {
      all.set(part, o);
      o += part.length;
    }
    return { kind: "text", text: new TextDecoder().decode(all).trim() };
  }
}
