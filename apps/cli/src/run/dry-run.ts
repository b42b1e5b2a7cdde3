import { type DescribedRequest, describeRequest } from "@gptimg/core";
import type { Io } from "../cli/io.ts";
import { secrets } from "../cli/secrets.ts";

/**
 * Prints a request without sending it: method and URL, headers (credentials redacted by core's
 * `describeRequest`), then the JSON body or the form fields and files with names and sizes.
 */
export async function printDryRun(io: Io, req: Request, json: boolean, notFetched?: NotFetchedInputs): Promise<void> {
  const d = await describeRequest(req, secrets());
  if (notFetched && notFetched.urls.length > 0) await markNotFetched(d, req, notFetched);
  if (json) {
    io.out(JSON.stringify({ ok: true, dryRun: true, request: d }));
    return;
  }
  io.out(`${d.method} ${d.url}`);
  for (const [k, v] of Object.entries(d.headers)) io.out(`${k}: ${v}`);
  io.out("");
  const body = d.body as
    | {
        fields?: Record<string, string | string[]>;
        files?: { field: string; filename: string; type?: string; bytes?: number; notFetched?: string }[];
      }
    | undefined;
  if (body && typeof body === "object" && "files" in body && Array.isArray(body.files)) {
    for (const [k, v] of Object.entries(body.fields ?? {})) {
      for (const one of Array.isArray(v) ? v : [v]) io.out(`${k}=${one}`);
    }
    for (const f of body.files) {
      io.out(
        `${f.field}=@${f.filename} (${f.notFetched ? notFetchedLabel(f.notFetched) : `${f.type}, ${f.bytes} bytes`})`,
      );
    }
  } else if (body !== undefined) {
    io.out(JSON.stringify(body, null, 2));
  }
}

/** URLs a dry-run did not download, in order, and the placeholder bytes that stand in for them. */
export interface NotFetchedInputs {
  urls: string[];
  placeholder: Uint8Array;
}

const notFetchedLabel = (url: string): string => `not fetched by a dry-run: ${url}`;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/**
 * Shows each URL a dry-run did not download where the request carries its placeholder: a form
 * file becomes `{ field, filename, notFetched: URL }`, a data URL in a JSON body the URL's label.
 */
async function markNotFetched(d: DescribedRequest, req: Request, nf: NotFetchedInputs): Promise<void> {
  const urls = [...nf.urls];
  if ((req.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
    const files = (d.body as { files: Record<string, unknown>[] }).files;
    let j = 0;
    for (const [, value] of await req.clone().formData()) {
      if (typeof value === "string") continue;
      const f = files[j];
      if (f && urls.length > 0 && sameBytes(new Uint8Array(await value.arrayBuffer()), nf.placeholder)) {
        files[j] = { field: f.field, filename: f.filename, notFetched: urls.shift() };
      }
      j++;
    }
    return;
  }
  const placeholderUrl = `data:image/png;base64,${Buffer.from(nf.placeholder).toString("base64")}`;
  // the described body has the raw body's shape (strings shortened, secrets redacted): walk both
  const swap = (raw: unknown, shown: unknown): unknown => {
    if (raw === placeholderUrl && urls.length > 0) return notFetchedLabel(urls.shift() as string);
    if (Array.isArray(raw) && Array.isArray(shown)) return shown.map((v, i) => swap(raw[i], v));
    if (raw && shown && typeof raw === "object" && typeof shown === "object") {
      const r = raw as Record<string, unknown>;
      return Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, swap(r[k], v)]));
    }
    return shown;
  };
  d.body = swap(JSON.parse(await req.clone().text()), d.body);
}
