/** Verified webhook bodies: JSON that must be an object before any field of it is read. */
import type { Context } from "hono";
import { HttpError, toOpenAIError } from "../lib/errors.ts";

/**
 * `text` parsed as JSON when it is a plain object; null for anything else (not JSON, or JSON
 * `null`, a number, a string, an array), so a handler never reads a field of a non-object.
 * @example
 * const update = parseJsonObject<Update>(await c.req.text());
 * if (!update) return notAJsonObject(c);
 */
export const parseJsonObject = <T extends object>(text: string): T | null => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as T) : null;
};

/** The 400 for a verified body that is not a JSON object: the gateway's JSON error, naming `body`. */
export const notAJsonObject = (c: Context): Response => {
  const { body } = toOpenAIError(new HttpError(400, "validation", "body: must be a JSON object", { param: "body" }));
  return c.json(body, 400);
};
