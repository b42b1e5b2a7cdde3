import { extname } from "node:path";
import { modelRules, type OutputFormat } from "@gptimg/core";
import type { SavedImage } from "./saver.ts";

const FORMAT_OF_EXT: Record<string, OutputFormat> = { ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp" };

/**
 * The format a `-o FILE` extension asks for: `-o cover.jpg` means JPEG, as with any image tool.
 * An explicit `--format` wins (the extension then follows the real bytes, `pic.png` → `pic.jpg`);
 * a model without `output_format` gets no inferred format.
 */
export function formatFromOut(
  out: string | undefined,
  outIsDir: boolean,
  format: string | undefined,
  model: string | undefined,
): OutputFormat | undefined {
  if (out === undefined || outIsDir || /[/\\]$/.test(out)) return undefined;
  const typed = FORMAT_OF_EXT[extname(out).toLowerCase()];
  if (typed === undefined) return undefined;
  if (format !== undefined) return undefined;
  return modelRules(model).fields.outputFormat ? typed : undefined;
}

/** What was asked for, to compare with what came back. */
export interface Asked {
  /** the size sent, as the run resolved it (`WxH`; `auto`, null or undefined: none to compare) */
  size?: string | null;
  format?: string;
}

/**
 * One warning per image whose size or format is not the one asked for, naming both and the
 * file, so "the provider changed it" is never a silent surprise.
 */
export function mismatchWarnings(asked: Asked, images: SavedImage[]): string[] {
  const size = asked.size && /^\d+x\d+$/.test(asked.size) ? asked.size : undefined;
  const out: string[] = [];
  for (const img of images) {
    const got = `${img.width}x${img.height}`;
    if (size !== undefined && got !== size) {
      out.push(
        `warning: the provider returned a size other than the one requested: asked for ${size}, got ${got} (${img.path})`,
      );
    }
    if (asked.format !== undefined && img.format !== asked.format) {
      out.push(`warning: asked for ${asked.format}, the provider returned ${img.format}; saved as ${img.path}`);
    }
  }
  return out;
}

/**
 * One note per image saved under another extension than the one `-o` typed (`-o pic.gif`, or
 * `-o pic.jpg --format png`): the name follows the image's real format, and the user is told
 * where it went. An image the provider returned in another format than asked already has its
 * warning from {@link mismatchWarnings}.
 */
export function extensionNotes(typedExt: string | undefined, asked: Asked, images: SavedImage[]): string[] {
  if (typedExt === undefined) return [];
  const typed = typedExt.toLowerCase();
  const out: string[] = [];
  for (const img of images) {
    if (asked.format !== undefined && img.format !== asked.format) continue;
    const saved = extname(img.path).toLowerCase();
    if (saved === typed || FORMAT_OF_EXT[saved] === FORMAT_OF_EXT[typed]) continue;
    out.push(`note: saved as ${img.path}: the image is ${img.format}, not the ${typed} that -o names`);
  }
  return out;
}
