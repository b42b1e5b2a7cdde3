import { encodeBase64 } from "./base64.ts";
import { REDACTED, redact } from "./redact.ts";
import { isSecretHeader } from "./request-headers.ts";
import { shownUrl } from "./shown-url.ts";

/** A request as `--dry-run` prints it: nothing secret, no file contents. */
export interface DescribedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** the JSON body, a form description, or undefined for a bodiless request */
  body?: unknown | { fields: Record<string, string | string[]>; files: (DescribedFile | NotFetchedFile)[] };
}

export interface DescribedFile {
  field: string;
  filename: string;
  type: string;
  bytes: number;
}

/** A form file that stands in for an input the caller did not fetch: the URL in its place. */
export interface NotFetchedFile {
  field: string;
  filename: string;
  notFetched: string;
}

/**
 * Inputs a dry-run did not download: the bytes it put in their place and their URLs, in the
 * order the request carries them. {@link describeRequest} shows each URL where its stand-in is.
 */
export interface NotFetchedInputs {
  placeholder: Uint8Array;
  urls: readonly string[];
}

/** How a JSON body shows an input a dry-run did not download, in its data URL's place. */
export const notFetchedText = (url: string): string => `not fetched by a dry-run: ${shownUrl(url)}`;

/**
 * Inline `data:` images would flood a dry-run; show their type and size instead. A URL shows
 * without its query, fragment and userinfo (see `shownUrl`).
 */
function shorten(value: string, secrets: (string | undefined)[]): string {
  const m = /^data:([^;,]+);base64,/.exec(value);
  // every 4 characters hold 3 bytes, less one for each "=" of padding
  const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
  if (m) return `data:${m[1]};base64,… (${Math.floor(((value.length - m[0].length) * 3) / 4) - padding} bytes)`;
  // an image by URL (a presigned one carries its signature in the query)
  if (/^https?:\/\//i.test(value)) return redact(shownUrl(value), secrets);
  return redact(value, secrets);
}

/** Takes the URLs of not-fetched inputs in order, as their stand-ins are met in the request. */
class StandIns {
  private readonly left: string[];
  private readonly b64: string;
  constructor(private readonly nf: NotFetchedInputs | undefined) {
    this.left = [...(nf?.urls ?? [])];
    this.b64 = nf ? encodeBase64(nf.placeholder) : "";
  }
  /** The URL a data URL in a JSON body stands in for, if it is the placeholder's. */
  forDataUrl(value: string): string | undefined {
    const isIt = this.left.length > 0 && value.startsWith("data:") && value.endsWith(`;base64,${this.b64}`);
    return isIt ? this.left.shift() : undefined;
  }
  /** The URL a form file stands in for, if its bytes are the placeholder's. */
  async forFile(file: Blob): Promise<string | undefined> {
    const p = this.nf?.placeholder;
    if (!p || this.left.length === 0 || file.size !== p.byteLength) return undefined;
    const bytes = new Uint8Array(await file.arrayBuffer());
    return bytes.every((v, i) => v === p[i]) ? this.left.shift() : undefined;
  }
}

function scrub(value: unknown, secrets: (string | undefined)[], standIns: StandIns): unknown {
  if (typeof value === "string") {
    const url = standIns.forDataUrl(value);
    return url === undefined ? shorten(value, secrets) : notFetchedText(url);
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, standIns));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets, standIns)]));
  }
  return value;
}

/**
 * Describes a built request for a dry-run: method, URL, headers with credentials redacted
 * (`Authorization: Bearer ***redacted***`), and the JSON body or the form's text fields and
 * files (field, file name, type, size). Reads a clone, so `req` can still be sent. With
 * `notFetched`, each input a dry-run did not download shows as its URL where its stand-in is: a
 * form file as `{ field, filename, notFetched: URL }`, a data URL in a JSON body as
 * `not fetched by a dry-run: URL`.
 * @example
 * console.log(JSON.stringify(await describeRequest(req, [apiKey]), null, 2))
 */
export async function describeRequest(
  req: Request,
  secrets: (string | undefined)[] = [],
  notFetched?: NotFetchedInputs,
): Promise<DescribedRequest> {
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (name === "authorization") headers[name] = /^bearer\s/i.test(value) ? `Bearer ${REDACTED}` : REDACTED;
    else headers[name] = isSecretHeader(name) ? REDACTED : redact(value, secrets);
  });
  const out: DescribedRequest = { method: req.method, url: redact(req.url, secrets), headers };
  if (req.body === null) return out;
  const type = req.headers.get("content-type") ?? "";
  const copy = req.clone();
  const standIns = new StandIns(notFetched);
  if (type.startsWith("multipart/form-data")) {
    const form = await copy.formData();
    const fields: Record<string, string | string[]> = {};
    const files: (DescribedFile | NotFetchedFile)[] = [];
    for (const [field, value] of form) {
      if (typeof value === "string") {
        const v = shorten(value, secrets);
        const prev = fields[field];
        fields[field] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
        continue;
      }
      const url = await standIns.forFile(value);
      files.push(
        url === undefined
          ? { field, filename: value.name, type: value.type, bytes: value.size }
          : { field, filename: value.name, notFetched: shownUrl(url) },
      );
    }
    out.body = { fields, files };
  } else {
    const text = await copy.text();
    try {
      out.body = scrub(JSON.parse(text), secrets, standIns);
    } catch {
      out.body = shorten(text, secrets);
    }
  }
  return out;
}
