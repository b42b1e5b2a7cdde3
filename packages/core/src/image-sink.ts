import type { ByteTarget } from "./byte-blocks.ts";

/**
 * Where one image's decoded bytes go when they should never be held whole, e.g. a file being
 * written. `WritableStreamDefaultWriter<Uint8Array>` fits as is (`stream.getWriter()`).
 * Each array passed to `write` is the sink's to keep; the next body chunk is read only after
 * the returned promise settles, so a slow sink slows the download instead of filling memory.
 */
export interface ImageSink {
  write(chunk: Uint8Array): void | Promise<void>;
  /** the image is complete */
  close?(): void | Promise<void>;
  /** the response failed or the reader stopped before the image was complete */
  abort?(reason: unknown): void | Promise<void>;
}

/** Opens the sink for the image at `data[index]`, when its `b64_json` starts. */
export type ImageSinkFactory = (index: number) => ImageSink;

/** output pieces are cut from blocks of this size, about one 64 KiB body chunk decoded */
const BLOCK = 48 * 1024 + 16;

/**
 * A decode target that hands bytes on instead of collecting them: `flush()` turns what was
 * written since the last flush into a piece, a view of a block that is never written again, so
 * a block serves several body chunks and the only garbage is pieces the sink has let go.
 * @internal
 */
export class PieceTarget implements ByteTarget {
  buf = new Uint8Array(0);
  pos = 0;
  /** bytes flushed so far */
  byteLength = 0;
  private pieces: Uint8Array[] = [];

  reserve(min: number): void {
    if (this.buf.length - this.pos >= min) return;
    this.flush();
    this.buf = new Uint8Array(Math.max(min, BLOCK));
  }

  flush(): void {
    if (this.pos === 0) return;
    this.pieces.push(this.buf.subarray(0, this.pos));
    this.byteLength += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  /** Flushes and hands over the pieces written so far, in order. */
  take(): Uint8Array[] {
    this.flush();
    const out = this.pieces;
    this.pieces = [];
    return out;
  }
}

/** One image on its way into a sink: writes in order, then close or abort once. */
export class SinkWriter {
  readonly target = new PieceTarget();
  private ended = false;
  constructor(readonly sink: ImageSink) {}

  /** Writes the pieces decoded so far. */
  async pump(): Promise<void> {
    for (const piece of this.target.take()) await this.sink.write(piece);
  }

  async close(): Promise<void> {
    await this.pump();
    this.ended = true;
    await this.sink.close?.();
  }

  async abort(reason: unknown): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.sink.abort?.(reason);
  }
}
