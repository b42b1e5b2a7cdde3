import type { IncomingMessage } from "node:http";
import { HttpError } from "./errors.ts";
import type { UploadedFile } from "./inputs.ts";

// Edits allow 50 MB of images; leave room for the multipart framing and fields.
const MAX_BODY = 64 * 1024 * 1024;

/** Reads the whole request body, refusing more than 64 MB with a 413. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new HttpError(413, `Request body larger than ${MAX_BODY} bytes.`, { code: "request_too_large" });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A parsed body: JSON fields, or multipart text fields and files. */
export interface ParsedBody {
  fields: Record<string, unknown>;
  files: UploadedFile[];
}

/** Parses JSON or multipart/form-data (through the Web `Request.formData()`); other types give no fields. */
export async function parseBody(contentType: string, body: Buffer): Promise<ParsedBody> {
  if (body.length === 0) return { fields: {}, files: [] };
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Request("http://offline.invalid/", {
        method: "POST",
        headers: { "content-type": contentType },
        body: new Uint8Array(body),
      }).formData();
    } catch (e) {
      throw new HttpError(400, `Could not parse the multipart/form-data body: ${(e as Error).message}`, {
        code: "invalid_multipart",
      });
    }
    const fields: Record<string, unknown> = {};
    const files: UploadedFile[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") fields[name] = value;
      else
        files.push({
          field: name,
          filename: value.name,
          type: value.type,
          bytes: Buffer.from(await value.arrayBuffer()),
        });
    }
    return { fields, files };
  }
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return { fields: parsed as Record<string, unknown>, files: [] };
  } catch {
    throw new HttpError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
      { code: "invalid_json" },
    );
  }
}
