import type { HonoRequest } from "hono";
import { HttpError } from "./errors.ts";

/** Whether a Content-Type is `multipart/form-data` (edits, with their images). */
export const isMultipart = (contentType: string | undefined): boolean =>
  /^multipart\/form-data\b/i.test(contentType ?? "");

/**
 * The request's JSON body, or a 400 naming `body` when it is not valid JSON. Shape checks stay
 * with each route's parser, which names the field at fault. Read through Hono's body cache, so
 * a body the idempotency middleware already parsed is not parsed again.
 * @example
 * const body = await readJsonBody(c.req);
 */
export async function readJsonBody(req: HonoRequest): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new HttpError(400, "validation", "body: must be a JSON object (the request body is not valid JSON)", {
      param: "body",
    });
  }
}

/**
 * The request's multipart form, or a 400 naming `body` when it does not parse. Read through
 * Hono's body cache (see `readJsonBody`).
 * @example
 * const form = await readFormBody(c.req);
 */
export async function readFormBody(req: HonoRequest): Promise<FormData> {
  try {
    return await req.formData();
  } catch {
    throw new HttpError(400, "validation", "body: not a readable multipart/form-data body", { param: "body" });
  }
}
