import type { HonoRequest } from "hono";
import { HttpError } from "./errors.ts";

/**
 * The request's JSON body, or a 400 naming `body` when it is not valid JSON. Shape checks stay
 * with each route's parser, which names the field at fault.
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
