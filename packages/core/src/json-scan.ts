import { BadResponseError } from "./errors/index.ts";

/** A step into a JSON document: an object key or an array index. */
export type PathItem = string | number;

/** Receives one string value's content as it arrives instead of having it built in memory. */
export interface StringSink {
  /**
   * Consumes raw bytes `src[start..end)` and returns the index of the first byte it did not
   * consume. It may stop only at `"`, `\` or a control byte, which the scanner then handles.
   */
  write(src: Uint8Array, start: number, end: number): number;
  /** one UTF-16 code unit from an escape such as `\/` or `\u00e9` */
  writeCode(code: number): void;
  /** the closing quote was read */
  close(): void;
}

/** Decides, value by value, what is built, streamed or walked into. */
export interface ScanHandler {
  /** A string value starts at `path`: return a sink to stream it, or undefined to build it. */
  streamString?(path: readonly PathItem[]): StringSink | undefined;
  /** A container starts at `path`: true walks into it (its members arrive one by one), false builds it. */
  descend(path: readonly PathItem[], kind: "object" | "array"): boolean;
  /** A value was built: a member of a walked-into container, or the whole document. */
  value(path: readonly PathItem[], value: unknown): void;
  /** A walked-into container closed. */
  close?(path: readonly PathItem[], kind: "object" | "array"): void;
}

export interface ScanOptions {
  /** longest built string or key, in UTF-8 bytes; default 1 MiB */
  maxStringBytes?: number;
  /** deepest nesting; default 64 */
  maxDepth?: number;
  /** names the document in errors, e.g. "response" */
  label?: string;
}

// Scanner states: what the next significant byte may be.
const VALUE = 0; // any value
const ARR_FIRST = 1; // a value or ]
const OBJ_FIRST = 2; // a key or }
const OBJ_KEY = 3; // a key
const COLON = 4;
const AFTER = 5; // , or the container's close
const END = 6; // only whitespace
const STR = 7;
const NUM = 8;
const LIT = 9;

// String kinds
const KEY = 0;
const BUILT = 1;
const STREAMED = 2;

interface Frame {
  array: boolean;
  /** walked into: members go to the handler; otherwise `obj`/`arr` is being built */
  walk: boolean;
  obj: Record<string, unknown> | undefined;
  arr: unknown[] | undefined;
  key: string;
  count: number;
}

const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS: Record<string, unknown> = { true: true, false: false, null: null };
const show = (c: number): string =>
  c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
const ESCAPES: Record<number, number> = { 34: 0x22, 92: 0x5c, 47: 0x2f, 98: 8, 102: 12, 110: 10, 114: 13, 116: 9 };

/** Renders a path the way a reader would write it: `data[0].b64_json`. */
export const formatPath = (path: readonly PathItem[]): string => {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s === "" ? p : `.${p}`;
  return s === "" ? "(root)" : s;
};

/**
 * An incremental JSON tokenizer over UTF-8 bytes that arrive in chunks split anywhere. Values the
 * handler asks to build are built like `JSON.parse` would; strings it asks to stream go to a sink
 * chunk by chunk and are never held whole. Errors are `BadResponseError` with the byte position.
 * @example
 * const s = new JsonScanner({ descend: () => false, value: (_, v) => console.log(v) });
 * s.write(new TextEncoder().encode('{"a":')); s.write(new TextEncoder().encode("1}")); s.end();
 */
export class JsonScanner {
  private state = VALUE;
  private readonly stack: Frame[] = [];
  private offset = 0;
  private readonly maxString: number;
  private readonly maxDepth: number;
  private readonly label: string;
  // string in progress
  private strKind = BUILT;
  private sink: StringSink | undefined;
  private str = "";
  private raw = new Uint8Array(256);
  private rawLen = 0;
  private strBytes = 0;
  /** 0: none; 1: after a backslash; 2-5: reading the digits of \uXXXX */
  private esc = 0;
  private code = 0;
  private tok = "";
  private readonly utf8 = new TextDecoder();

  constructor(
    private readonly handler: ScanHandler,
    options: ScanOptions = {},
  ) {
    this.maxString = options.maxStringBytes ?? 1024 * 1024;
    this.maxDepth = options.maxDepth ?? 64;
    this.label = options.label ?? "JSON";
  }

  /** bytes consumed so far */
  get position(): number {
    return this.offset;
  }

  /** true once the top-level value is complete */
  get complete(): boolean {
    return this.state === END;
  }

  /** The path of the value being read, for messages such as "ended inside data[2].b64_json". */
  path(): PathItem[] {
    const out: PathItem[] = [];
    const last = this.stack.length - 1;
    for (let d = 0; d <= last; d++) {
      const f = this.stack[d] as Frame;
      if (f.array) out.push(f.count);
      // the innermost object has no current key between members
      else if (d < last || this.inMember()) out.push(f.key);
    }
    return out;
  }

  /** whether the innermost object is between a key and the end of its value */
  private inMember(): boolean {
    const st = this.state;
    return st === COLON || st === VALUE || st === NUM || st === LIT || (st === STR && this.strKind !== KEY);
  }

  /** Scans one chunk. */
  write(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    try {
      while (i < n) {
        if (this.state === STR) {
          i = this.scanString(buf, i, n);
          continue;
        }
        const c = buf[i]!;
        if (this.state === NUM || this.state === LIT) {
          if (
            (c >= 0x30 && c <= 0x39) ||
            (c >= 0x61 && c <= 0x7a) ||
            c === 0x2b ||
            c === 0x2d ||
            c === 0x2e ||
            c === 0x45
          ) {
            this.tok += String.fromCharCode(c);
            if (this.tok.length > 512) this.fail(i, `a number or literal longer than 512 characters`);
            i++;
            continue;
          }
          this.endToken(i);
          continue;
        }
        i++;
        if (isWs(c)) continue;
        this.structural(c, i - 1);
      }
    } finally {
      this.offset += i;
    }
  }

  /** Declares the input finished; throws if the document is incomplete. */
  end(): void {
    // a number or literal ends at the end of input only when it is the whole document
    if ((this.state === NUM || this.state === LIT) && this.stack.length === 0) this.endToken(0);
    if (this.state !== END) {
      const where = this.stack.length > 0 || this.state === STR ? ` inside ${formatPath(this.path())}` : "";
      throw new BadResponseError(
        this.offset === 0
          ? `${this.label} is empty: expected a JSON value`
          : `${this.label} ended early after ${this.offset} bytes${where}: the JSON is incomplete`,
      );
    }
  }

  private fail(i: number, what: string): never {
    throw new BadResponseError(`invalid JSON in ${this.label} at byte ${this.offset + i}: ${what}`);
  }

  private structural(c: number, i: number): void {
    const st = this.state;
    if (st === VALUE || st === ARR_FIRST) {
      if (c === 0x5d && st === ARR_FIRST) {
        this.closeContainer(true, i);
        return;
      }
      this.startValue(c, i);
      return;
    }
    if (st === OBJ_FIRST || st === OBJ_KEY) {
      if (c === 0x22) {
        this.startString(KEY);
        return;
      }
      if (c === 0x7d && st === OBJ_FIRST) {
        this.closeContainer(false, i);
        return;
      }
      this.fail(i, `expected ${st === OBJ_FIRST ? "a key or '}'" : "a key"}, found ${show(c)}`);
    }
    if (st === COLON) {
      if (c === 0x3a) {
        this.state = VALUE;
        return;
      }
      this.fail(i, `expected ':' after a key, found ${show(c)}`);
    }
    if (st === AFTER) {
      const top = this.stack[this.stack.length - 1]!;
      if (c === 0x2c) {
        this.state = top.array ? VALUE : OBJ_KEY;
        return;
      }
      if (c === (top.array ? 0x5d : 0x7d)) {
        this.closeContainer(top.array, i);
        return;
      }
      this.fail(i, `expected ',' or '${top.array ? "]" : "}"}', found ${show(c)}`);
    }
    this.fail(i, `unexpected ${show(c)} after the end of the document`);
  }

  private building(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && !top.walk;
  }

  private startValue(c: number, i: number): void {
    if (c === 0x22) {
      const sink = this.building() ? undefined : this.handler.streamString?.(this.path());
      this.sink = sink;
      this.startString(sink ? STREAMED : BUILT);
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      const array = c === 0x5b;
      if (this.stack.length >= this.maxDepth) this.fail(i, `nesting deeper than ${this.maxDepth} levels`);
      const walk = !this.building() && this.handler.descend(this.path(), array ? "array" : "object");
      this.stack.push({
        array,
        walk,
        obj: walk || array ? undefined : {},
        arr: walk || !array ? undefined : [],
        key: "",
        count: 0,
      });
      this.state = array ? ARR_FIRST : OBJ_FIRST;
      return;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.state = c === 0x74 || c === 0x66 || c === 0x6e ? LIT : NUM;
      this.tok = String.fromCharCode(c);
      return;
    }
    this.fail(i, `expected a value, found ${show(c)}`);
  }

  private endToken(i: number): void {
    const t = this.tok;
    let v: unknown;
    if (this.state === NUM) {
      if (!NUMBER_RE.test(t)) this.fail(i - t.length, `invalid number ${JSON.stringify(t)}`);
      v = Number(t);
    } else {
      if (!(t in LITERALS)) this.fail(i - t.length, `invalid literal ${JSON.stringify(t)}`);
      v = LITERALS[t];
    }
    this.tok = "";
    this.completeValue(v);
  }

  private closeContainer(array: boolean, i: number): void {
    const f = this.stack.pop();
    if (!f || f.array !== array) this.fail(i, `unexpected '${array ? "]" : "}"}'`);
    if (f.walk) {
      // report the container's own path: the parent's current key or index
      this.handler.close?.(this.pathOfCurrent(), array ? "array" : "object");
      this.afterValue();
    } else {
      this.completeValue(array ? f.arr : f.obj);
    }
  }

  /** path of the value that just ended, before the parent's counter moves on */
  private pathOfCurrent(): PathItem[] {
    const out: PathItem[] = [];
    for (const f of this.stack) out.push(f.array ? f.count : f.key);
    return out;
  }

  private completeValue(v: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (top && !top.walk) {
      if (top.arr) top.arr.push(v);
      else if (top.key === "__proto__") {
        // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype
        Object.defineProperty(top.obj, "__proto__", { value: v, enumerable: true, writable: true, configurable: true });
      } else (top.obj as Record<string, unknown>)[top.key] = v;
      top.count++;
      this.state = AFTER;
      return;
    }
    this.handler.value(this.pathOfCurrent(), v);
    this.afterValue();
  }

  private afterValue(): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.state = END;
      return;
    }
    top.count++;
    this.state = AFTER;
  }

  private startString(kind: number): void {
    this.strKind = kind;
    this.state = STR;
    this.str = "";
    this.rawLen = 0;
    this.strBytes = 0;
    this.esc = 0;
  }

  /** Scans string content from `i`; returns where it stopped. */
  private scanString(buf: Uint8Array, i: number, n: number): number {
    if (this.esc > 0) return this.scanEscape(buf, i);
    if (this.strKind === STREAMED) {
      i = (this.sink as StringSink).write(buf, i, n);
      if (i >= n) return i;
    } else {
      const start = i;
      while (i < n) {
        const c = buf[i]!;
        if (c === 0x22 || c === 0x5c || c < 0x20) break;
        i++;
      }
      if (i > start) this.appendRaw(buf, start, i);
      if (i >= n) return i;
    }
    const c = buf[i]!;
    if (c === 0x22) {
      this.endString();
      return i + 1;
    }
    if (c === 0x5c) {
      this.esc = 1;
      return i + 1;
    }
    this.fail(i, `control character ${show(c)} inside a string`);
  }

  private scanEscape(buf: Uint8Array, i: number): number {
    const c = buf[i]!;
    if (this.esc === 1) {
      if (c === 0x75) {
        this.esc = 2;
        this.code = 0;
        return i + 1;
      }
      const e = ESCAPES[c];
      if (e === undefined) this.fail(i, `invalid escape '\\${String.fromCharCode(c)}'`);
      this.esc = 0;
      this.appendCode(e);
      return i + 1;
    }
    const h = hexVal(c);
    if (h < 0) this.fail(i, `invalid \\u escape: ${show(c)} is not a hex digit`);
    this.code = (this.code << 4) | h;
    if (++this.esc === 6) {
      this.esc = 0;
      // Surrogate halves are appended as code units, so a pair joins exactly as in JSON.parse.
      this.appendCode(this.code);
    }
    return i + 1;
  }

  private appendRaw(buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.countBytes(len);
    if (this.rawLen + len > this.raw.length) {
      const next = new Uint8Array(Math.max(this.raw.length * 2, this.rawLen + len));
      next.set(this.raw.subarray(0, this.rawLen));
      this.raw = next;
    }
    this.raw.set(buf.subarray(start, end), this.rawLen);
    this.rawLen += len;
  }

  private appendCode(code: number): void {
    if (this.strKind === STREAMED) {
      (this.sink as StringSink).writeCode(code);
      return;
    }
    this.countBytes(1);
    this.flushRaw();
    this.str += String.fromCharCode(code);
  }

  private countBytes(n: number): void {
    this.strBytes += n;
    if (this.strBytes > this.maxString) {
      throw new BadResponseError(
        `${this.strKind === KEY ? "a key" : "the string"} at ${formatPath(this.path())} in ${this.label} is longer than ${this.maxString} bytes`,
      );
    }
  }

  private flushRaw(): void {
    if (this.rawLen === 0) return;
    // Raw runs end at a quote or backslash, so a UTF-8 sequence is never cut here.
    this.str += this.utf8.decode(this.raw.subarray(0, this.rawLen));
    this.rawLen = 0;
  }

  private endString(): void {
    if (this.strKind === STREAMED) {
      const sink = this.sink as StringSink;
      this.sink = undefined;
      sink.close();
      this.afterValue();
      return;
    }
    this.flushRaw();
    const s = this.str;
    this.str = "";
    if (this.raw.length > 4096) this.raw = new Uint8Array(256);
    if (this.strKind === KEY) {
      (this.stack[this.stack.length - 1] as Frame).key = s;
      this.state = COLON;
      return;
    }
    this.completeValue(s);
  }
}
