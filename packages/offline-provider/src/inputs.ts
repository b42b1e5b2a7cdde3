import { HttpError, invalid, missing } from "./errors.ts";
import { imageInfo, sniffFormat } from "./sniff.ts";

/** A file part of a multipart body. */
export interface UploadedFile {
  field: string;
  filename: string;
  type: string;
  bytes: Buffer;
}

/** A checked input image. */
export interface InputImage {
  bytes: Buffer;
  width: number;
  height: number;
}

// Limits of the edits endpoint (seeds: WellAPI /images/edits).
const MAX_IMAGES = 16;
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;
const MAX_MASK_BYTES = 4 * 1024 * 1024;
const IMAGE_FIELDS = new Set(["image", "image[]", "images", "images[]"]);

/**
 * Checks the images and mask of an edit: 1-16 images of png/jpeg/webp (by magic bytes, not the
 * declared type), 50 MB in total, and a PNG mask with alpha of the first image's size.
 */
export async function checkEditInputs(files: UploadedFile[]): Promise<{ images: InputImage[]; mask?: InputImage }> {
  const parts = files.filter((f) => IMAGE_FIELDS.has(f.field));
  if (parts.length === 0) throw missing("image");
  if (parts.length > MAX_IMAGES) {
    throw invalid(
      "image",
      `Invalid 'image': too many images. Expected at most ${MAX_IMAGES}, but got ${parts.length}.`,
      "too_many_images",
    );
  }
  const total = parts.reduce((s, f) => s + f.bytes.length, 0);
  if (total > MAX_TOTAL_BYTES) {
    throw invalid(
      "image",
      `Invalid 'image': images total ${total} bytes, more than the ${MAX_TOTAL_BYTES} allowed.`,
      "image_too_large",
    );
  }
  const images: InputImage[] = [];
  for (const [i, part] of parts.entries()) {
    const format = sniffFormat(part.bytes);
    const info = format && format !== "gif" ? await imageInfo(part.bytes) : undefined;
    if (!info) {
      throw new HttpError(
        400,
        `Invalid file 'image' #${i + 1} ('${part.filename}'): unsupported image format ('${format ?? part.type ?? "unknown"}'). Supported formats are 'image/png', 'image/jpeg' and 'image/webp'.`,
        { param: "image", code: "invalid_image_format" },
      );
    }
    images.push({ bytes: part.bytes, width: info.width, height: info.height });
  }
  const maskPart = files.find((f) => f.field === "mask");
  if (!maskPart) return { images };
  if (sniffFormat(maskPart.bytes) !== "png") {
    throw invalid(
      "mask",
      `Invalid 'mask' ('${maskPart.filename}'): the mask must be a PNG image.`,
      "invalid_mask_format",
    );
  }
  if (maskPart.bytes.length > MAX_MASK_BYTES) {
    throw invalid(
      "mask",
      `Invalid 'mask': ${maskPart.bytes.length} bytes, more than the ${MAX_MASK_BYTES} allowed.`,
      "mask_too_large",
    );
  }
  const info = await imageInfo(maskPart.bytes);
  if (!info) throw invalid("mask", "Invalid 'mask': the PNG does not decode.", "invalid_mask_format");
  const first = images[0]!;
  if (info.width !== first.width || info.height !== first.height) {
    throw invalid(
      "mask",
      `Invalid 'mask': the mask is ${info.width}x${info.height} but the first image is ${first.width}x${first.height}; they must have the same dimensions.`,
      "invalid_mask_size",
    );
  }
  if (!info.hasAlpha)
    throw invalid("mask", "Invalid 'mask': the mask must have an alpha channel.", "invalid_mask_format");
  return { images, mask: { bytes: maskPart.bytes, width: info.width, height: info.height } };
}
