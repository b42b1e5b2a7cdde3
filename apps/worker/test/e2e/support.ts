/** Helpers shared by the end-to-end tests (Node side). */
import { png } from "../../../../packages/core/test-fixtures/images.ts";

/** Width and height from a PNG's IHDR, or null when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || !sig.every((b, i) => bytes[i] === b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** A complete RGBA PNG (decodes everywhere; all pixels transparent black). */
export const rgbaPng = (width: number, height: number): Uint8Array => png({ width, height, colorType: 6 });

/** An RGB PNG without alpha. */
export const rgbPng = (width: number, height: number): Uint8Array => png({ width, height, colorType: 2 });

/** Polls `fn` until it returns a value, at most `tries` times `everyMs` apart. */
export async function until<T>(fn: () => Promise<T | undefined>, tries = 120, everyMs = 250): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met after ${tries} tries`);
}
