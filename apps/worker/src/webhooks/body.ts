/**
 * Verified webhook bodies: JSON that must be an object before any field of it is read, checked
 * against the shape a handler reads before it reads it, and the answer to a payload the Worker
 * will not act on.
 */
import type { Context } from "hono";
import { HttpError, toOpenAIError } from "../lib/errors.ts";
import { safeMessage } from "../lib/secrets.ts";
import type { WebhookAppEnv } from "./platform.ts";

/**
 * `text` parsed as JSON when it is a plain object; null for anything else (not JSON, or JSON
 * `null`, a number, a string, an array), so a handler never reads a field of a non-object.
 * @example
 * const update = parseJsonObject<Update>(await c.req.text());
 * if (!update) return malformedPayload(c, "telegram", NOT_A_JSON_OBJECT, ack);
 */
export const parseJsonObject = <T extends object>(text: string): T | null => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isObject(value) ? (value as T) : null;
};

/** What is wrong with a verified payload: the field (a path such as `event.files[0]`) and the rule it breaks. */
export interface PayloadProblem {
  field: string;
  rule: string;
}

/** The problem of a body that is not a JSON object. */
export const NOT_A_JSON_OBJECT: PayloadProblem = { field: "body", rule: "must be a JSON object" };

/** Checks one value of a payload: what is wrong with it, or null. */
export type Shape = (value: unknown, field: string) => PayloadProblem | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The kind of a value, for a rule: never the value itself, which is a chat user's text. */
const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

const wrong = (what: string, v: unknown, field: string): PayloadProblem => ({
  field,
  rule: `must be ${what} (${v === undefined ? "missing" : `got ${kindOf(v)}`})`,
});

const is =
  (what: string, test: (v: unknown) => boolean): Shape =>
  (v, field) =>
    test(v) ? null : wrong(what, v, field);

/** A string. */
export const string: Shape = is("a string", (v) => typeof v === "string");
/** A finite number. */
export const number: Shape = is("a number", (v) => typeof v === "number" && Number.isFinite(v));
/** A boolean. */
export const boolean: Shape = is("true or false", (v) => typeof v === "boolean");
/** A string, a finite number or a boolean (a Discord option's value). */
export const scalar: Shape = is(
  "a string, number or boolean",
  (v) => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)),
);

/** `shape`, or absent. */
export const optional =
  (shape: Shape): Shape =>
  (v, field) =>
    v === undefined ? null : shape(v, field);

/** An object whose listed fields each pass their shape (others are not read, so not checked). */
export const object =
  (fields: Record<string, Shape>): Shape =>
  (v, field) => {
    if (!isObject(v)) return wrong("an object", v, field);
    for (const [name, shape] of Object.entries(fields)) {
      const problem = shape(v[name], field ? `${field}.${name}` : name);
      if (problem) return problem;
    }
    return null;
  };

/** An array whose items each pass `shape`. */
export const arrayOf =
  (shape: Shape): Shape =>
  (v, field) => {
    if (!Array.isArray(v)) return wrong("an array", v, field);
    for (const [i, item] of v.entries()) {
      const problem = shape(item, `${field}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };

/** An object used as a map: every value passes `shape`. */
export const recordOf =
  (shape: Shape): Shape =>
  (v, field) => {
    if (!isObject(v)) return wrong("an object", v, field);
    for (const [key, item] of Object.entries(v)) {
      const problem = shape(item, `${field}.${key}`);
      if (problem) return problem;
    }
    return null;
  };

/** What is wrong with a payload's fields, or null; fields are named from the payload's root (`event.text`). */
export const checkShape = (payload: unknown, shape: Shape): PayloadProblem | null => shape(payload, "");

/**
 * Answers a verified payload the Worker will not act on, after logging what is wrong (field and
 * rule; a value is described by its kind, never quoted). `ack` is the platform's "received",
 * for platforms that retry anything else (Slack events, Telegram, Feishu); without it the answer
 * is a 400 JSON error naming the field (Discord and Slack slash commands show it and do not retry).
 * @example
 * if (problem) return malformedPayload(c, "discord", problem);
 */
export const malformedPayload = (
  c: Context<WebhookAppEnv>,
  platform: string,
  problem: PayloadProblem,
  ack?: () => Response,
): Response => {
  const message = `${problem.field}: ${problem.rule}`;
  console.warn(`webhooks: ${platform} payload ignored: ${safeMessage(c.env, message)}`);
  if (ack) return ack();
  const { body } = toOpenAIError(new HttpError(400, "validation", message, { param: problem.field }));
  return c.json(body, 400);
};
