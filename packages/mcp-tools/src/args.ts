import { ValidationError, type ValidationIssue } from "@gptimg/core";
import type { JsonSchema } from "./schema.ts";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function fits(schema: JsonSchema, v: unknown): boolean {
  switch (schema.type) {
    case undefined:
      return true;
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
    default:
      return typeof v === schema.type;
  }
}

/** The rule `v` breaks at its own level, or undefined. */
function broken(schema: JsonSchema, v: unknown): string | undefined {
  if (!fits(schema, v)) return `must be ${schema.type === "integer" ? "an integer" : `a ${schema.type}`}`;
  if (schema.enum && !schema.enum.includes(v as string)) return `must be one of ${schema.enum.join(", ")}`;
  if (typeof v === "number") {
    if (schema.minimum !== undefined && v < schema.minimum) return rangeRule(schema);
    if (schema.maximum !== undefined && v > schema.maximum) return rangeRule(schema);
  }
  if (typeof v === "string") {
    if (schema.minLength !== undefined && v.trim().length < schema.minLength) return "must not be empty";
    if (schema.maxLength !== undefined && v.length > schema.maxLength)
      return `must be at most ${schema.maxLength} characters`;
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems)
      return `needs at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`;
    if (schema.maxItems !== undefined && v.length > schema.maxItems) return `takes at most ${schema.maxItems} items`;
  }
  return undefined;
}

function check(schema: JsonSchema, v: unknown, field: string, push: (i: ValidationIssue) => void): void {
  const rule = broken(schema, v);
  if (rule) {
    push({ field, value: v, rule });
    return;
  }
  if (Array.isArray(v) && schema.items) {
    for (const [i, item] of v.entries()) check(schema.items, item, `${field}[${i}]`, push);
  }
  if (schema.type === "object" && schema.properties) checkObject(schema, v as Record<string, unknown>, field, push);
  if (schema.type === "object" && !schema.properties) {
    for (const k of Object.keys(v as object))
      if (FORBIDDEN_KEYS.has(k)) push({ field: `${field}.${k}`, value: k, rule: "is not an allowed key" });
  }
}

const rangeRule = (s: JsonSchema): string =>
  `must be ${s.type === "integer" ? "an integer " : ""}from ${s.minimum ?? "-∞"} to ${s.maximum ?? "∞"}`;

function checkObject(
  schema: JsonSchema,
  obj: Record<string, unknown>,
  prefix: string,
  push: (i: ValidationIssue) => void,
): void {
  const props = schema.properties ?? {};
  const name = (k: string) => (prefix ? `${prefix}.${k}` : k);
  for (const k of schema.required ?? []) {
    if (obj[k] === undefined) push({ field: name(k), value: undefined, rule: "is required" });
  }
  for (const [k, v] of Object.entries(obj)) {
    const s = Object.hasOwn(props, k) ? props[k] : undefined;
    if (!s) {
      if (schema.additionalProperties === false) {
        push({
          field: name(k),
          value: v,
          rule: `is not an option of this tool (it takes ${Object.keys(props).join(", ")})`,
        });
      }
      continue;
    }
    if (v !== undefined && v !== null) check(s, v, name(k), push);
  }
}

/**
 * Checks tool arguments against the tool's input schema and returns them typed. Every problem
 * is reported at once as a `ValidationError` naming field, value and rule; `null` counts as
 * absent (some clients send it for an unset option).
 * @example
 * const args = checkArgs<{ prompt: string }>(generateInputSchema("local"), request.params.arguments)
 */
export function checkArgs<T>(schema: JsonSchema, args: unknown): T {
  const issues: ValidationIssue[] = [];
  const obj = args === undefined || args === null ? {} : args;
  if (typeof obj !== "object" || Array.isArray(obj)) {
    throw new ValidationError([{ field: "arguments", value: obj, rule: "must be an object" }]);
  }
  checkObject(schema, obj as Record<string, unknown>, "", (i) => issues.push(i));
  if (issues.length) throw new ValidationError(issues);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}
