import { decodeDataUrl } from "./data-url.ts";
import { shownUrl } from "./shown-url.ts";
import type { ImageInput, ImageRef } from "./types.ts";

/**
 * Image references as the spec's JSON edit form takes them (`ImageRefParam`): an `image_url`
 * (a fully qualified URL or a base64 data URL) or a `file_id`, exactly one of the two.
 */

/** The spec's `ImageRefParam.image_url.maxLength` (20 MiB of URL text). */
export const MAX_IMAGE_URL_LENGTH = 20_971_520;

/** A reference rather than bytes: an object with `imageUrl` or `fileId` and no `data`. */
export const isImageRef = (x: unknown): x is ImageRef =>
  typeof x === "object" &&
  x !== null &&
  !("data" in x) &&
  ("imageUrl" in x || "fileId" in x || "image_url" in x || "file_id" in x);

/** `data:image/png;base64,…` (the only data URL form an edit takes). */
const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;

export const isDataUrl = (url: string): boolean => DATA_URL.test(url);

/** What a reference is, once checked. */
export type CheckedRef =
  | { kind: "https"; url: string }
  | { kind: "data"; input: ImageInput }
  | { kind: "file"; fileId: string }
  | { kind: "bad"; field: string; value: unknown; rule: string };

const shown = (url: string): string => {
  const m = DATA_URL.exec(url);
  if (m) return `data:${m[1]};base64,… (${url.length} characters)`;
  return shownUrl(url);
};

/**
 * Checks one reference and says what it is. `field` is its place in the JSON body (`images[1]`,
 * `mask`); a data URL is decoded so its bytes are checked as a file's would be.
 * @example
 * checkRef({ imageUrl: "http://x/a.png" }, "images[0]") // { kind: "bad", field: "images[0].image_url", … }
 */
export function checkRef(ref: ImageRef, field: string): CheckedRef {
  const r = ref as Record<string, unknown>;
  if ("image_url" in r || "file_id" in r) {
    return {
      kind: "bad",
      field,
      value: Object.keys(r).join(", "),
      rule: "must be { imageUrl } or { fileId } (camelCase)",
    };
  }
  const hasUrl = r.imageUrl !== undefined;
  const hasFile = r.fileId !== undefined;
  if (hasUrl === hasFile) {
    return {
      kind: "bad",
      field,
      value: hasUrl ? "image_url and file_id" : "neither",
      rule: "must have exactly one of image_url or file_id",
    };
  }
  if (hasFile) {
    const id = r.fileId;
    if (typeof id !== "string" || id === "" || /\s/.test(id)) {
      return { kind: "bad", field: `${field}.file_id`, value: id, rule: "must be a File API id such as file-abc123" };
    }
    return { kind: "file", fileId: id };
  }
  const url = r.imageUrl;
  const urlField = `${field}.image_url`;
  if (typeof url !== "string" || url === "") {
    return { kind: "bad", field: urlField, value: url, rule: "must be an https URL or a data URL" };
  }
  if (url.length > MAX_IMAGE_URL_LENGTH) {
    return {
      kind: "bad",
      field: urlField,
      value: shown(url),
      rule: `must be at most ${MAX_IMAGE_URL_LENGTH} characters (the spec's limit)`,
    };
  }
  if (isDataUrl(url)) {
    try {
      // core's one data-URL decoder (the chat answers' too); isDataUrl admits only image/…;base64
      const data = decodeDataUrl(url, urlField) as Uint8Array;
      return { kind: "data", input: { data } };
    } catch {
      return { kind: "bad", field: urlField, value: shown(url), rule: "a data URL must carry valid base64" };
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: "bad", field: urlField, value: shown(url), rule: "must be an https URL or a data URL" };
  }
  if (parsed.protocol !== "https:") {
    return {
      kind: "bad",
      field: urlField,
      value: shown(url),
      rule: "must be an https URL or a data URL (data:image/png;base64,…)",
    };
  }
  if (parsed.username || parsed.password) {
    return { kind: "bad", field: urlField, value: `https://***@${parsed.host}`, rule: "must not contain credentials" };
  }
  return { kind: "https", url: parsed.href };
}

/** An input with data URLs decoded to bytes; https URLs and file ids stay references. */
export type EditInput = ImageInput | { kind: "https"; url: string } | { kind: "file"; fileId: string };

/**
 * The inputs a request sends: data URLs as bytes, other references as they are. Assumes
 * validation passed (a bad reference is dropped here, never sent).
 */
export function editInputs(items: readonly (ImageInput | ImageRef)[]): EditInput[] {
  return items.flatMap((item): EditInput[] => {
    if (!isImageRef(item)) return [item];
    const c = checkRef(item, "image");
    if (c.kind === "data") return [c.input];
    return c.kind === "bad" ? [] : [c];
  });
}

/** True for an input that stays a reference (the provider fetches it). */
export const isRemote = (x: EditInput): x is Exclude<EditInput, ImageInput> => "kind" in x;
