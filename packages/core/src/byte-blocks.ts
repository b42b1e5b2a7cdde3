/**
 * Where a decoder writes: a current buffer and a position in it. `reserve(n)` guarantees at
 * least `n` free bytes from `pos`, possibly by switching `buf` to a fresh block.
 * @internal
 */
export interface ByteTarget {
  buf: Uint8Array;
  pos: number;
  reserve(min: number): void;
}

const FIRST_BLOCK = 64 * 1024;
const MAX_BLOCK = 4 * 1024 * 1024;

/**
 * Collects bytes of unknown final length in a list of blocks and joins them once at the end.
 * Peak memory is about twice the final size, never more: a doubling array would hold the old
 * copy, the new one and its empty half at once (about three times for an 11 MB image).
 * @internal
 */
export class ByteBlocks implements ByteTarget {
  buf: Uint8Array;
  pos = 0;
  private full: Uint8Array[] = [];
  private fullBytes = 0;

  /**
   * @param firstBlock size of the first block; the expected final size when it is known (the
   *   previous image of the same response) saves the joining copy and halves the peak
   */
  constructor(firstBlock = FIRST_BLOCK) {
    this.buf = new Uint8Array(firstBlock);
  }

  /** bytes written so far */
  get length(): number {
    return this.fullBytes + this.pos;
  }

  reserve(min: number): void {
    if (this.buf.length - this.pos >= min) return;
    if (this.pos > 0) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.fullBytes += this.pos;
    }
    // Blocks grow with the data so a small image stays small and a large one needs few blocks.
    const size = Math.max(min, Math.min(MAX_BLOCK, Math.max(FIRST_BLOCK, this.fullBytes)));
    this.buf = new Uint8Array(size);
    this.pos = 0;
  }

  /** Everything written, as one exact-length array. The collector is empty afterwards. */
  take(): Uint8Array {
    let out: Uint8Array;
    if (this.full.length === 0) {
      // a view when at most 1/16 would be wasted, else a copy so the slack is freed
      out =
        this.buf.length - this.pos <= this.buf.length >> 4
          ? this.buf.subarray(0, this.pos)
          : this.buf.slice(0, this.pos);
    } else {
      out = new Uint8Array(this.length);
      let o = 0;
      for (const b of this.full) {
        out.set(b, o);
        o += b.length;
      }
      out.set(this.buf.subarray(0, this.pos), o);
    }
    this.full = [];
    this.fullBytes = 0;
    this.buf = new Uint8Array(0);
    this.pos = 0;
    return out;
  }
}

/** A target over one buffer sized in advance (from the input length); grows only if that was short. @internal */
export class FixedTarget implements ByteTarget {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  reserve(min: number): void {
    if (this.buf.length - this.pos < min) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + min));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
  }
  take(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
