import { checkRef, isImageRef } from "./image-refs.ts";
import { type ImageInfo, inspectImageData } from "./inspect.ts";
import { type ModelRules, ownRule } from "./models.ts";
import { checkWholeImageData } from "./whole-image.ts";

/**
 * inspectImage's reason lists every format it can read ("… (expected PNG, JPEG, WebP or GIF)");
 * beside a rule naming the formats an edit takes, that list contradicts it, so it is dropped.
 */
const why = (reason: string): string => reason.replace(/ \(expected [^)]*\)$/, "");

type Push = (field: string, value: unknown, rule: string, suggestion?: string) => void;

const MB = 1024 * 1024;
/** Edit inputs in total (OpenAI images/edits). */
const MAX_TOTAL_BYTES = 50 * MB;
/** The mask must be smaller than this (OpenAI images/edits). */
const MAX_MASK_BYTES = 4 * MB;
type Data = Blob | Uint8Array;

const DISPLAY: Record<string, string> = { png: "PNG", jpeg: "JPEG", webp: "WebP", gif: "GIF" };

const isData = (v: unknown): v is Data => v instanceof Uint8Array || (typeof Blob !== "undefined" && v instanceof Blob);
const sizeOf = (d: Data): number => (d instanceof Uint8Array ? d.byteLength : d.size);

/** How an input shows in an issue: the value its surface gave, else its file name, else its byte count. */
const label = (input: unknown, d: Data): string => {
  const given = labelOf(input)?.value;
  if (given !== undefined) return given;
  const name = (input as { name?: unknown }).name;
  return typeof name === "string" && name !== "" ? name : `<${sizeOf(d)} bytes>`;
};

/** The surface's name for an input ({@link ImageInput.label}), when it gave one. */
const labelOf = (input: unknown): { field?: unknown; value?: string } | undefined => {
  const l = typeof input === "object" && input !== null ? (input as { label?: unknown }).label : undefined;
  if (typeof l !== "object" || l === null) return undefined;
  const { field, value } = l as { field?: unknown; value?: unknown };
  return { field, ...(typeof value === "string" ? { value } : {}) };
};

const dataOf = (input: unknown): unknown =>
  typeof input === "object" && input !== null ? (input as { data?: unknown }).data : undefined;

/** Checks edit inputs and the mask, pushing one issue per problem. */
export async function validateImages(images: unknown, mask: unknown, rules: ModelRules, push: Push): Promise<void> {
  const fam = rules.family;
  const names = rules.editFormats.map((f) => DISPLAY[f]);
  const formats = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
  let first: ImageInfo | undefined;
  if (!Array.isArray(images) || images.length === 0) {
    push("image", images, "at least one input image is required");
  } else {
    if (images.length > rules.maxInputImages) {
      const rule = `at most ${rules.maxInputImages} input images for ${fam}`;
      // 16 is the spec's limit; a family's lower one is gptimg's table
      push("image", `${images.length} images`, rules.maxInputImages < 16 ? ownRule(rule) : rule);
    }
    let total = 0;
    for (const [i, item] of images.entries()) {
      // the surface's own name for the input (`-i`, `images[0]`), else the neutral image[i]
      const own = labelOf(item)?.field;
      let field = typeof own === "string" && own !== "" ? own : `image[${i}]`;
      let input: unknown = item;
      if (isImageRef(item)) {
        const c = checkRef(item, `images[${i}]`);
        if (c.kind === "bad") push(c.field, c.value, c.rule);
        if (c.kind !== "data") continue; // an https URL or a file id: the provider checks it
        field = `images[${i}].image_url`;
        input = c.input;
      }
      const d = dataOf(input);
      if (!isData(d)) {
        push(field, input, "must be { data: Blob | Uint8Array, name? }");
        continue;
      }
      total += sizeOf(d);
      const info = await inspectImageData(d);
      if (!info.ok) {
        push(field, label(input, d), `must be ${formats} (${why(info.reason)})`);
        continue;
      }
      if (!(rules.editFormats as readonly string[]).includes(info.format)) {
        const rule = `must be ${formats} for ${fam}, judged by content (this is ${info.format})`;
        push(field, label(input, d), info.format === "gif" ? rule : ownRule(rule));
      } else if (await isWhole(d, field, label(input, d), push)) {
        if (i === 0) first = info; // the mask is compared only with a usable first image
      }
      if (rules.maxInputImageBytes !== undefined && sizeOf(d) >= rules.maxInputImageBytes) {
        push(field, label(input, d), ownRule(`must be smaller than ${rules.maxInputImageBytes / MB} MB for ${fam}`));
      }
      if (rules.squareInputs && info.width !== info.height) {
        push(field, label(input, d), ownRule(`must be square for ${fam} (is ${info.width}x${info.height})`));
      }
    }
    if (total > MAX_TOTAL_BYTES) {
      push("image", `${total} bytes`, `input images must total at most 50 MB (${MAX_TOTAL_BYTES} bytes)`);
    }
  }
  if (mask !== undefined) await validateMask(mask, first, push);
}

async function validateMask(item: unknown, first: ImageInfo | undefined, push: Push): Promise<void> {
  let mask = item;
  let field = "mask";
  if (isImageRef(item)) {
    const c = checkRef(item, "mask");
    if (c.kind === "bad") push(c.field, c.value, c.rule);
    if (c.kind !== "data") return;
    mask = c.input;
    field = "mask.image_url";
  }
  const d = dataOf(mask);
  if (!isData(d)) {
    push(field, mask, "must be { data: Blob | Uint8Array, name? }");
    return;
  }
  const value = label(mask, d);
  if (sizeOf(d) >= MAX_MASK_BYTES) push(field, value, `must be smaller than 4 MB (${MAX_MASK_BYTES} bytes)`);
  const info = await inspectImageData(d);
  if (!info.ok) {
    push(field, value, `must be a PNG with an alpha channel (${why(info.reason)})`);
    return;
  }
  if (info.format !== "png") push(field, value, `must be a PNG with an alpha channel (this is ${info.format})`);
  else if (!info.hasAlpha) push(field, value, "must be a PNG with an alpha channel (this PNG has none)");
  else if (!(await isWhole(d, field, value, push))) return;
  if (first && (info.width !== first.width || info.height !== first.height)) {
    push(
      field,
      value,
      `must have the size of the first image, ${first.width}x${first.height} (is ${info.width}x${info.height})`,
    );
  }
}

/** A header alone is not an image: the structure must run to its end marker (see whole-image.ts). */
async function isWhole(d: Data, field: string, value: string, push: Push): Promise<boolean> {
  const whole = await checkWholeImageData(d);
  if (!whole.ok) push(field, value, `must be a whole image (${whole.reason})`);
  return whole.ok;
}
