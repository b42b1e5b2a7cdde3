import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import {
  autoMaskFor,
  decodeDataUrl,
  type EditOptions,
  extensionFor,
  type ImageInput,
  type ImageRef,
  type InputLabel,
  inspectImage,
  isImageRef,
  networkErrorDetail,
  type RequestForm,
  type ResolvedProvider,
  readAtMost,
  shownUrl,
  sniffFormat,
} from "@gptimg/core";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { fsReason } from "../files/fs-reason.ts";

/** Edit limits checked from file sizes before any file is read (core checks the bytes after). */
const MAX_IMAGES = 16;
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;

/**
 * What a dry-run puts where a URL it would download goes: a 1x1 PNG whose text chunk says it is
 * a placeholder, so the request is built and described without touching the network (a dry-run
 * sends nothing). The dry-run's printout shows the URL in its place (run/dry-run.ts).
 */
export const NOT_FETCHED_PNG: Uint8Array = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAOnRFWHRDb21tZW50AGdwdGltZyBkcnktcnVuIHBsYWNlaG9sZGVyOiB0aGUgVVJMIGlzIG5vdCBmZXRjaGVkOtu4iQAAAAtJREFUeJxjYAACAAAFAAF6Xqs/AAAAAElFTkSuQmCC",
    "base64",
  ),
);

/** An input URL a dry-run did not download: its position, its field and how it is shown (no query string). */
export interface NotFetched {
  index: number;
  field: string;
  shown: string;
}

/** An input's value as messages show it: a data URL by its start, anything else as given. */
const shownValue = (value: string): string =>
  /^data:/i.test(value) && value.length > 40 ? `${value.slice(0, 32)}…` : value;

async function sizeOf(path: string, label: string): Promise<number> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw usageError(`${label}: not a regular file`);
    return st.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError("io", `${label}: ${fsReason(e)}`, {
      exitCode: EXIT.usage,
    });
  }
}

const DATA_URL_RULE = "must be an image data URL such as data:image/png;base64,… with valid base64";

/**
 * The bytes of an image given as a data URL (`data:image/png;base64,…`, or percent-encoded), for
 * `-i` and the MCP tools alike: core's decoder, and an error naming the field, the URL's start
 * and the rule. The bytes are then checked as a file's are (whole image, type, size).
 */
export function decodeImageDataUrl(value: string, field: string): Uint8Array {
  const shown = shownValue(value);
  let bytes: Uint8Array | undefined;
  try {
    bytes = decodeDataUrl(value, field);
  } catch (e) {
    throw usageError(`${field} ${shown}: ${DATA_URL_RULE} (${(e as Error).message.replace(`${field}: `, "")})`);
  }
  if (!bytes) throw usageError(`${field} ${shown}: ${DATA_URL_RULE} (this one's media type is not image/…)`);
  return bytes;
}

/** A decoded data URL as an input, named by its content's format as a file would be. */
function fromData(bytes: Uint8Array, i: number, label: InputLabel): ImageInput {
  const format = sniffFormat(bytes);
  return { data: bytes, name: `image-${i}.${format ? extensionFor(format) : "bin"}`, label };
}

async function load(path: string, label?: InputLabel): Promise<ImageInput> {
  const buf = await readFile(path);
  const input = { data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name: basename(path) };
  return label ? { ...input, label } : input;
}

/**
 * Reads the edit inputs after checking their count and total size from the file system, so a
 * 17th image or a 2 GB file fails at once without being loaded. With `byReference` (the
 * provider takes the spec's JSON edit form) an https URL stays a reference the provider fetches;
 * otherwise, and for http URLs or with `--mask auto` (which needs the first image's size), it is
 * downloaded here, except by a `dryRun`, which fetches nothing: {@link NOT_FETCHED_PNG} stands in
 * for it and `notFetched` names it. `fields` name the inputs (the `-i` values, then the
 * `--image-url` ones) as their surface took them (`-i`, `images[0]`); default `image[i]`.
 */
export async function readEditInputs(
  imagePaths: string[],
  maskPath: string | undefined,
  cwd: string,
  imageUrls: string[] = [],
  signal?: AbortSignal,
  byReference = false,
  dryRun = false,
  fields: string[] = [],
): Promise<{ images: (ImageInput | ImageRef)[]; mask: ImageInput | undefined; notFetched: NotFetched[] }> {
  // -i takes files, http(s) URLs and data URLs alike, in order; --image-url values come after them
  const all = [...imagePaths, ...imageUrls];
  const field = (i: number): string => fields[i] ?? `image[${i}]`;
  if (all.length === 0) throw usageError("image: missing; pass at least one -i IMAGE");
  if (all.length > MAX_IMAGES) {
    throw usageError(`-i/--image: ${all.length} images given; at most ${MAX_IMAGES} input images per edit`);
  }
  const isData = (v: string, i: number): boolean => i < imagePaths.length && /^data:/i.test(v);
  const isUrl = (v: string, i: number): boolean => i >= imagePaths.length || /^https?:\/\//i.test(v);
  const decoded = all.map((v, i) => (isData(v, i) ? decodeImageDataUrl(v, field(i)) : undefined));
  const urls = all.map((v, i) => (!decoded[i] && isUrl(v, i) ? checkUrl(v, field(i)) : undefined));
  // a URL shows without its query string (signed URLs carry tokens there), a data URL by its start
  const named: InputLabel[] = all.map((v, i) => {
    const url = urls[i];
    return { field: field(i), value: url ? shownUrl(url) : shownValue(v) };
  });
  /** "-i dog.png": how a message names input i */
  const said = (i: number): string => `${named[i]!.field} ${named[i]!.value}`;
  const data = decoded.map((bytes, i) => (bytes ? fromData(bytes, i, named[i]!) : undefined));
  const paths = all.map((v, i) => (data[i] || urls[i] ? undefined : resolve(cwd, v)));
  const sizes = await Promise.all(
    paths.map((p, i) => (p ? sizeOf(p, said(i)) : ((data[i]?.data as Uint8Array | undefined)?.byteLength ?? 0))),
  );
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > MAX_TOTAL_BYTES) {
    throw usageError(
      `-i/--image: ${(total / 1048576).toFixed(1)} MB of images given; at most 50 MB of input images per edit`,
    );
  }
  const auto = maskPath?.toLowerCase() === "auto";
  const maskFull = maskPath === undefined || auto ? undefined : resolve(cwd, maskPath);
  if (maskFull) await sizeOf(maskFull, `mask ${maskFull}`);
  const images: (ImageInput | ImageRef)[] = [];
  const notFetched: NotFetched[] = [];
  let left = MAX_TOTAL_BYTES - total;
  for (const [i, url] of urls.entries()) {
    const decoded = data[i];
    if (decoded) {
      images.push(decoded);
      continue;
    }
    if (!url) {
      images.push(await load(paths[i]!, named[i]));
      continue;
    }
    if (byReference && !auto && url.protocol === "https:") {
      images.push({ imageUrl: url.href });
      continue;
    }
    if (dryRun) {
      notFetched.push({ index: i, field: named[i]!.field, shown: shownUrl(url) });
      images.push({ data: NOT_FETCHED_PNG, name: basename(url.pathname) || `image${i}.png` });
      continue;
    }
    const image = { ...(await download(url, named[i]!.field, left, signal)), label: named[i]! };
    left -= (image.data as Uint8Array).byteLength;
    images.push(image);
  }
  // the automatic mask takes the size of the first image, the one a mask applies to
  // (with auto nothing stays a reference)
  const mask = auto ? await autoMaskFor(images[0] as ImageInput) : maskFull ? await load(maskFull) : undefined;
  return { images, mask, notFetched };
}

/**
 * An `--image-url`: http(s) only, without credentials (they would show in every message). Every
 * message names a URL as core's `shownUrl` does: a signed URL's query carries its signature.
 */
function checkUrl(raw: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${field} ${shownUrl(raw)}: must be an absolute http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw usageError(`${field} ${shownUrl(url)}: must use https or http`);
  if (url.username || url.password) throw usageError(`${field} URL: must not contain credentials`);
  return url;
}

/**
 * Downloads one reference image (within what is left of the 50 MB of inputs) and checks it is
 * an image, so an edit is never paid for with an error page as its input.
 */
async function download(url: URL, label: string, max: number, signal?: AbortSignal): Promise<ImageInput> {
  const shown = shownUrl(url);
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow", ...(signal ? { signal } : {}) });
  } catch (e) {
    throw new CliError("network", `${label} ${shown}: could not download it (${networkErrorDetail(e)})`, {
      exitCode: EXIT.failure,
    });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new CliError("io", `${label} ${shown}: HTTP ${res.status}`, { exitCode: EXIT.usage });
  }
  const bytes = await readAtMost(res.body, max);
  if (bytes === null) throw usageError(`${label} ${shown}: larger than the 50 MB of input images an edit may have`);
  const info = inspectImage(bytes);
  if (!info.ok) throw usageError(`${label} ${shown}: not an image (${info.reason})`);
  const name = basename(url.pathname) || `image.${info.format}`;
  return { data: bytes, name };
}

/** Whether a provider takes image URLs as references: the JSON edit form, or a chat message. */
export const takesReferences = (p: ResolvedProvider): boolean => p.jsonEdits || p.protocol === "chat";

/** What a dry-run says about how an edit's inputs travel. */
export function editFormNote(p: ResolvedProvider, opts: EditOptions, form: RequestForm): string {
  const byUrl = opts.images.filter(isImageRef).length;
  if (form === "json" && p.protocol !== "chat") {
    return `the edit is sent as JSON (the spec's JSON edit form): ${byUrl} image(s) by URL for provider ${p.name} to fetch, files as data URLs`;
  }
  if (form === "json") return `the edit is sent as a chat message: ${byUrl} image(s) by URL`;
  const why = takesReferences(p)
    ? "no https URL among the inputs"
    : `provider ${p.name} (profile ${p.profile}) does not take the JSON edit form, so URLs are downloaded`;
  return `the edit is sent as multipart files (${why})`;
}
