import { Base64StreamDecoder } from "./base64.ts";
import type { ByteTarget } from "./byte-blocks.ts";
import type { StringSink } from "./json-scan.ts";

/** Streams one base64 JSON string value into a decoder that writes into `blocks`. */
export class Base64Sink<T extends ByteTarget> implements StringSink {
  private readonly decoder: Base64StreamDecoder;
  constructor(
    label: string,
    readonly blocks: T,
  ) {
    this.decoder = new Base64StreamDecoder({ label });
  }
  write(src: Uint8Array, start: number, end: number): number {
    return this.decoder.writeBytes(src, start, end, this.blocks, true);
  }
  writeCode(code: number): void {
    this.decoder.writeCode(code, this.blocks);
  }
  close(): void {
    this.decoder.finish(this.blocks);
  }
}
