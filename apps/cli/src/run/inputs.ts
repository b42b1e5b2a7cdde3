import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { ImageInput } from "@gptimg/core";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { fsReason } from "../files/fs-reason.ts";

/** Edit limits checked from file sizes before any file is read (core checks the bytes after). */
const MAX_IMAGES = 16;
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;

async function sizeOf(path: string, label: string): Promise<number> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw usageError(`${label} ${path}: not a regular file`);
    return st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError("io", `${label} ${path}: ${fsReason(e)}`, {
      exitCode: EXIT.usage,
    });
  }
}

async function load(path: string): Promise<ImageInput> {
  const buf = await readFile(path);
  return { data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name: basename(path) };
}

/**
 * Reads the edit inputs after checking their count and total size from the file system, so a
 * 17th image or a 2 GB file fails at once without being loaded.
 */
export async function readEditInputs(
  imagePaths: string[],
  maskPath: string | undefined,
  cwd: string,
): Promise<{ images: ImageInput[]; mask: ImageInput | undefined }> {
  if (imagePaths.length === 0) throw usageError("image: missing; pass at least one -i IMAGE");
  if (imagePaths.length > MAX_IMAGES) {
    throw usageError(`-i/--image: ${imagePaths.length} images given; at most ${MAX_IMAGES} input images per edit`);
  }
  const paths = imagePaths.map((p) => resolve(cwd, p));
  const sizes = await Promise.all(paths.map((p, i) => sizeOf(p, `image[${i}]`)));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > MAX_TOTAL_BYTES) {
    throw usageError(
      `-i/--image: ${(total / 1048576).toFixed(1)} MB of images given; at most 50 MB of input images per edit`,
    );
  }
  const maskFull = maskPath === undefined ? undefined : resolve(cwd, maskPath);
  if (maskFull) await sizeOf(maskFull, "mask");
  const images = await Promise.all(paths.map(load));
  return { images, mask: maskFull ? await load(maskFull) : undefined };
}
