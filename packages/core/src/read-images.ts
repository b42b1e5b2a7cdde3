import { Base64Sink } from "./base64-sink.ts";
import { ByteBlocks, type ByteTarget } from "./byte-blocks.ts";
import { AbortedError, BadResponseError } from "./errors/index.ts";
import { type ImageSinkFactory, SinkWriter } from "./image-sink.ts";
import { JsonScanner, type PathItem, type ScanHandler, type StringSink } from "./json-scan.ts";
import { type ProviderErrorBody, readBody, toImageUsage, toProviderError } from "./response-fields.ts";
import type { ImageUsage } from "./types.ts";

/** One piece of an images response, in the order it can be known. `meta` comes last, once. */
export type ResponsePart =
  | { kind: "image"; index: number; bytes: Uint8Array; revisedPrompt?: string }
  | { kind: "url"; index: number; url: string; revisedPrompt?: string }
  | {
      kind: "meta";
      created?: number;
      usage?: ImageUsage;
      size?: string;
      quality?: string;
      outputFormat?: string;
      background?: string;
      error?: ProviderErrorBody;
    };

/** The parts `readImagesResponse` yields with a `sink`: an image part tells how many bytes went there. */
export type SinkResponsePart =
  | Exclude<ResponsePart, { kind: "image" }>
  | { kind: "image"; index: number; byteLength: number; revisedPrompt?: string };

export interface ReadImagesOptions {
  /** longest string other than an image, in bytes; default 1 MiB */
  maxStringBytes?: number;
  /**
   * Sends each image's bytes to a sink as they are decoded, so no image is ever held whole
   * (memory stays at the body's chunks); image parts then carry `byteLength` instead of `bytes`.
   */
  sink?: ImageSinkFactory;
  /**
   * Receives each image's base64 text as it arrives, before it is decoded, in body order: a
   * gateway forwards it to its own client without encoding the image again. Awaited before the
   * body is read on, and before the next image's text, so a slow receiver slows the read.
   */
  onBase64?: Base64Tap;
}

/** See `ReadImagesOptions.onBase64`. `text` is a view of a body chunk: ASCII base64, never re-used. */
export type Base64Tap = (index: number, text: Uint8Array) => void | Promise<void>;

/** A piece of base64 text waiting for `onBase64`, in order with the parts. */
interface Tapped {
  kind: "base64";
  index: number;
  text: Uint8Array;
}

/** Passes a string's bytes to the decoding sink and records the part it consumed for the tap. */
class TapSink implements StringSink {
  constructor(
    private readonly inner: StringSink,
    private readonly index: number,
    private readonly out: unknown[],
  ) {}
  write(src: Uint8Array, start: number, end: number): number {
    const stop = this.inner.write(src, start, end);
    if (stop > start) this.out.push({ kind: "base64", index: this.index, text: src.subarray(start, stop) } as Tapped);
    return stop;
  }
  writeCode(code: number): void {
    // an escape such as `\/`: the decoder refuses anything that is not base64, so one byte is right
    this.inner.writeCode(code);
    this.out.push({ kind: "base64", index: this.index, text: Uint8Array.of(code & 0xff) } as Tapped);
  }
  close(): void {
    this.inner.close();
  }
}

type Meta = Extract<ResponsePart, { kind: "meta" }>;

interface Item {
  index: number;
  sink?: Base64Sink<ByteTarget>;
  writer?: SinkWriter;
  url?: string;
  revisedPrompt?: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

/** Walks `{ data: [ {...}, ... ], ... }`, streaming each `b64_json` and building everything else. */
class ImagesHandler implements ScanHandler {
  readonly out: (ResponsePart | SinkResponsePart | Tapped)[] = [];
  /** images whose bytes go to a caller's sink: the one being decoded, then those to close */
  active: SinkWriter | undefined;
  closing: SinkWriter[] = [];
  constructor(
    private readonly sinkFor?: ImageSinkFactory,
    private readonly tap?: Base64Tap,
  ) {}

  readonly meta: Meta = { kind: "meta" };
  private item: Item | undefined;
  /** images of one response share size and format: the last one's length sizes the next buffer */
  private lastImageBytes: number | undefined;

  descend(path: readonly PathItem[], kind: "object" | "array"): boolean {
    if (path.length === 0) {
      if (kind === "array") throw new BadResponseError("response is a JSON array: expected an object with data[]");
      return true;
    }
    if (path.length === 1) return path[0] === "data" && kind === "array";
    if (path.length === 2 && path[0] === "data" && kind === "object") {
      this.item = { index: path[1] as number };
      return true;
    }
    return false;
  }

  streamString(path: readonly PathItem[]): StringSink | undefined {
    if (path.length !== 3 || path[0] !== "data" || path[2] !== "b64_json" || !this.item) return undefined;
    if (this.item.sink) throw new BadResponseError(`data[${this.item.index}] has b64_json twice`);
    const label = `data[${this.item.index}].b64_json`;
    if (this.sinkFor) {
      this.item.writer = this.active = new SinkWriter(this.sinkFor(this.item.index));
      this.item.sink = new Base64Sink(label, this.item.writer.target);
    } else {
      this.item.sink = new Base64Sink(label, new ByteBlocks(this.lastImageBytes));
    }
    return this.tap ? new TapSink(this.item.sink, this.item.index, this.out) : this.item.sink;
  }

  value(path: readonly PathItem[], v: unknown): void {
    if (path.length === 0) throw new BadResponseError(`response is ${kindOf(v)}: expected an object with data[]`);
    if (path.length === 1) {
      this.topField(path[0] as string, v);
      return;
    }
    if (path[0] !== "data") return;
    if (path.length === 2) throw new BadResponseError(`data[${path[1]}] is ${kindOf(v)}: expected an object`);
    const item = this.item;
    if (path.length !== 3 || !item || v === null) return;
    const field = path[2];
    if (field === "url") {
      if (typeof v !== "string")
        throw new BadResponseError(`data[${item.index}].url is ${kindOf(v)}: expected a string`);
      item.url = v;
    } else if (field === "revised_prompt" && typeof v === "string") {
      item.revisedPrompt = v;
    } else if (field === "b64_json") {
      throw new BadResponseError(`data[${item.index}].b64_json is ${kindOf(v)}: expected a base64 string`);
    }
  }

  close(path: readonly PathItem[], kind: "object" | "array"): void {
    if (path.length !== 2 || kind !== "object" || !this.item) return;
    const { index, sink, writer, url, revisedPrompt } = this.item;
    this.item = undefined;
    const rp = revisedPrompt === undefined ? {} : { revisedPrompt };
    if (writer) {
      writer.target.flush();
      this.closing.push(writer);
      this.active = undefined;
      this.out.push({ kind: "image", index, byteLength: writer.target.byteLength, ...rp });
    } else if (sink) {
      const bytes = (sink.blocks as ByteBlocks).take();
      this.lastImageBytes = bytes.length;
      this.out.push({ kind: "image", index, bytes, ...rp });
    } else if (url !== undefined) this.out.push({ kind: "url", index, url, ...rp });
    else throw new BadResponseError(`data[${index}] has neither b64_json nor url`);
  }

  private topField(key: string, v: unknown): void {
    const m = this.meta;
    switch (key) {
      case "data":
        if (v !== null) throw new BadResponseError(`data is ${kindOf(v)}: expected an array`);
        return;
      case "created":
        if (typeof v === "number") m.created = v;
        return;
      case "usage": {
        const u = toImageUsage(v);
        if (u) m.usage = u;
        return;
      }
      case "size":
      case "quality":
      case "background": {
        const s = str(v);
        if (s !== undefined) m[key] = s;
        return;
      }
      case "output_format": {
        const s = str(v);
        if (s !== undefined) m.outputFormat = s;
        return;
      }
      case "error": {
        const e = toProviderError(v);
        if (e) m.error = e;
        return;
      }
    }
  }
}

/**
 * Reads an images response (`{ created, data: [{ b64_json | url, revised_prompt }], usage, … }`)
 * as a stream: each image is decoded while its base64 arrives and yielded when its `data` item
 * closes, so memory holds one decoded image and a bounded buffer, never the whole body. Field
 * order does not matter. A cut body, invalid JSON or invalid base64 throws `BadResponseError`;
 * a top-level `error` object is reported in the final `meta` part.
 * @example
 * for await (const part of readImagesResponse(res.body!)) {
 *   if (part.kind === "image") await save(part.index, part.bytes);
 * }
 */
export function readImagesResponse(
  body: ReadableStream<Uint8Array>,
  options?: ReadImagesOptions & { sink?: undefined },
): AsyncGenerator<ResponsePart, void, undefined>;
export function readImagesResponse(
  body: ReadableStream<Uint8Array>,
  options: ReadImagesOptions & { sink: ImageSinkFactory },
): AsyncGenerator<SinkResponsePart, void, undefined>;
export async function* readImagesResponse(
  body: ReadableStream<Uint8Array>,
  options: ReadImagesOptions = {},
): AsyncGenerator<ResponsePart | SinkResponsePart, void, undefined> {
  const handler = new ImagesHandler(options.sink, options.onBase64);
  const scanner = new JsonScanner(handler, {
    label: "response",
    ...(options.maxStringBytes === undefined ? {} : { maxStringBytes: options.maxStringBytes }),
  });
  const out = handler.out;
  const tap = options.onBase64;
  /** the parts found so far, in order; tapped text goes to the tap instead */
  async function* drain(): AsyncGenerator<ResponsePart | SinkResponsePart, void, undefined> {
    while (out.length > 0) {
      const part = out.shift() as ResponsePart | SinkResponsePart | Tapped;
      if (part.kind === "base64") await tap?.(part.index, part.text);
      else yield part;
    }
  }
  /** hands decoded bytes to the sinks before the next chunk is read: that is the backpressure */
  const pump = async (): Promise<void> => {
    for (const w of handler.closing.splice(0)) await w.close();
    await handler.active?.pump();
  };
  let failure: unknown = new AbortedError("the reader stopped before the response was read");
  try {
    for await (const chunk of readBody(body)) {
      scanner.write(chunk);
      await pump();
      yield* drain();
    }
    scanner.end();
    await pump();
    failure = undefined;
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    // a sink left open learns why its image will not be complete
    if (failure !== undefined) {
      for (const w of [...handler.closing, ...(handler.active ? [handler.active] : [])]) {
        await w.abort(failure).catch(() => undefined);
      }
    }
  }
  yield* drain();
  yield handler.meta;
}
