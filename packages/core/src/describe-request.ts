import { REDACTED, redact } from "./redact.ts";
import { isSecretHeader } from "./request-headers.ts";

/** A request as `--dry-run` prints it: nothing secret, no file contents. */
export interface DescribedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** the JSON body, a form description, or undefined for a bodiless request */
  body?: unknown | { fields: Record<string, string | string[]>; files: DescribedFile[] };
}

export interface DescribedFile {
  field: string;
  filename: string;
  type: string;
  bytes: number;
}

/** Inline `data:` images would flood a dry-run; show their type and size instead. */
function shorten(value: string, secrets: (string | undefined)[]): string {
  const m = /^data:([^;,]+);base64,/.exec(value);
  // every 4 characters hold 3 bytes, less one for each "=" of padding
  const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
  if (m) return `data:${m[1]};base64,… (${Math.floor(((value.length - m[0].length) * 3) / 4) - padding} bytes)`;
  return redact(value, secrets);
}

function scrub(value: unknown, secrets: (string | undefined)[]): unknown {
  if (typeof value === "string") return shorten(value, secrets);
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  }
  return value;
}

/**
 * Describes a built request for a dry-run: method, URL, headers with credentials redacted
 * (`Authorization: Bearer ***redacted***`), and the JSON body or the form's text fields and
 * files (field, file name, type, size). Reads a clone, so `req` can still be sent.
 * @example
 * console.log(JSON.stringify(await describeRequest(req, [apiKey]), null, 2))
 */
export async function describeRequest(req: Request, secrets: (string | undefined)[] = []): Promise<DescribedRequest> {
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (name === "authorization") headers[name] = /^bearer\s/i.test(value) ? `Bearer ${REDACTED}` : REDACTED;
    else headers[name] = isSecretHeader(name) ? REDACTED : redact(value, secrets);
  });
  const out: DescribedRequest = { method: req.method, url: redact(req.url, secrets), headers };
  if (req.body === null) return out;
  const type = req.headers.get("content-type") ?? "";
  const copy = req.clone();
  if (type.startsWith("multipart/form-data")) {
    const form = await copy.formData();
    const fields: Record<string, string | string[]> = {};
    const files: DescribedFile[] = [];
    form.forEach((value, field) => {
      if (typeof value === "string") {
        const v = shorten(value, secrets);
        const prev = fields[field];
        fields[field] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
      } else files.push({ field, filename: value.name, type: value.type, bytes: value.size });
    });
    out.body = { fields, files };
  } else {
    const text = await copy.text();
    try {
      out.body = scrub(JSON.parse(text), secrets);
    } catch {
      out.body = shorten(text, secrets);
    }
  }
  return out;
}
