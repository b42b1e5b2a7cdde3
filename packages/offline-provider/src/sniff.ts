import sharp from "sharp";
import type { OutputFormat } from "./types.ts";

/** Image type from magic bytes, or undefined for anything else. */
export function sniffFormat(bytes: Uint8Array): OutputFormat | "gif" | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (
    b.length >= 12 &&
    String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) === "RIFF" &&
    String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!) === "WEBP"
  ) {
    return "webp";
  }
  if (b.length >= 6 && String.fromCharCode(b[0]!, b[1]!, b[2]!) === "GIF") return "gif";
  return undefined;
}

/** MIME type of an output format. */
export const mimeOf = (format: OutputFormat): string => `image/${format}`;

/** Width, height and alpha of an encoded image (via sharp); undefined when it does not decode. */
export async function imageInfo(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; hasAlpha: boolean } | undefined> {
  try {
    const m = await sharp(bytes).metadata();
    if (!m.width || !m.height) return undefined;
    return { width: m.width, height: m.height, hasAlpha: m.hasAlpha };
  } catch {
    return undefined;
  }
}
