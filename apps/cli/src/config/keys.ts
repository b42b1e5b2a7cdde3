import { REDACTED } from "@gptimg/core";
import { usageError } from "../cli/errors.ts";
import { PROVIDER_NAME } from "./schema.ts";

/** Where a `config get/set/unset` key points in the file, and how its value is typed. */
export interface KeyPath {
  segments: string[];
  kind: "string" | "boolean" | "number" | "list" | "object";
  secret: boolean;
}

const PROVIDER_FIELDS: Record<string, KeyPath["kind"]> = {
  profile: "string",
  baseUrl: "string",
  apiKey: "string",
  keyEnv: "string",
  model: "string",
  fixedModel: "boolean",
  jsonEdits: "boolean",
  extraBody: "object",
  fallbacks: "list",
  "paths.generations": "string",
  "paths.edits": "string",
  "paths.chat": "string",
  "paths.models": "string",
  "fields.outputFormat": "string",
  "fields.image": "string",
  "fields.mask": "string",
  "defaults.quality": "string",
  "defaults.moderation": "string",
  "defaults.size": "string",
  "defaults.format": "string",
  "defaults.compression": "number",
  "defaults.background": "string",
  "defaults.n": "number",
};

/**
 * Parses a dotted key: `provider`, `providers.NAME.FIELD`, `endpoint.url|token`,
 * `rates.MODEL.FIELD` (a model name may itself contain dots, e.g. `gpt-image-1.5`).
 */
export function parseKey(key: string): KeyPath {
  const parts = key.split(".");
  const [head, ...rest] = parts;
  if (key === "provider") return { segments: ["provider"], kind: "string", secret: false };
  if (key === "media") return { segments: ["media"], kind: "boolean", secret: false };
  if (head === "providers" && rest.length >= 1) {
    const [name, ...field] = rest;
    if (!name || !PROVIDER_NAME.test(name))
      throw usageError(`config key ${key}: provider name must be letters, digits, _ or -`);
    if (field.length === 0) return { segments: ["providers", name], kind: "object", secret: false };
    const f = field.join(".");
    const kind = PROVIDER_FIELDS[f];
    if (!kind)
      throw usageError(
        `config key ${key}: unknown provider field ${f} (one of ${Object.keys(PROVIDER_FIELDS).join(", ")})`,
      );
    return { segments: ["providers", name, ...field], kind, secret: f === "apiKey" };
  }
  if (head === "endpoint" && rest.length === 1 && (rest[0] === "url" || rest[0] === "token")) {
    return { segments: parts, kind: "string", secret: rest[0] === "token" };
  }
  if (head === "rates" && rest.length >= 2) {
    const field = rest[rest.length - 1]!;
    if (!["textInput", "imageInput", "imageOutput"].includes(field)) {
      throw usageError(`config key ${key}: rate field must be textInput, imageInput or imageOutput`);
    }
    return { segments: ["rates", rest.slice(0, -1).join("."), field], kind: "number", secret: false };
  }
  throw usageError(
    `config key ${key}: unknown; keys are provider, media, providers.NAME.FIELD, endpoint.url, endpoint.token, rates.MODEL.FIELD`,
  );
}

/** Converts the typed text of `config set` to the key's type. */
export function typedValue(path: KeyPath, raw: string, key: string): unknown {
  switch (path.kind) {
    case "string":
      if (raw === "") throw usageError(`config set ${key}: value must not be empty`);
      return raw;
    case "boolean":
      if (raw !== "true" && raw !== "false") throw usageError(`config set ${key} ${raw}: must be true or false`);
      return raw === "true";
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
        throw usageError(`config set ${key} ${raw}: must be a number >= 0`);
      return n;
    }
    case "list":
      if (raw.trim().startsWith("[")) return parseJson(raw, key);
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    case "object": {
      const v = parseJson(raw, key);
      if (typeof v !== "object" || v === null || Array.isArray(v))
        throw usageError(`config set ${key}: must be a JSON object`);
      return v;
    }
  }
}

function parseJson(raw: string, key: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw usageError(`config set ${key}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads the value at a path (undefined when absent). */
export function getAt(obj: Record<string, unknown>, segments: string[]): unknown {
  let cur: unknown = obj;
  for (const s of segments) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, s)) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** Sets a value, creating objects on the way. */
export function setAt(obj: Record<string, unknown>, segments: string[], value: unknown): void {
  let cur = obj;
  for (const s of segments.slice(0, -1)) {
    const next = Object.hasOwn(cur, s) ? cur[s] : undefined;
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[s] = {};
    cur = cur[s] as Record<string, unknown>;
  }
  cur[segments[segments.length - 1]!] = value;
}

/** Removes a value and any objects left empty by it; returns whether anything was removed. */
export function unsetAt(obj: Record<string, unknown>, segments: string[]): boolean {
  const [head, ...rest] = segments;
  if (head === undefined || !Object.hasOwn(obj, head)) return false;
  if (rest.length === 0) {
    delete obj[head];
    return true;
  }
  const child = obj[head];
  if (typeof child !== "object" || child === null) return false;
  const removed = unsetAt(child as Record<string, unknown>, rest);
  if (removed && Object.keys(child).length === 0) delete obj[head];
  return removed;
}

/** A deep copy with every key and token replaced, for `config show`. */
export function redactConfig(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if ((key === "apiKey" || key === "token") && typeof value === "string") return REDACTED;
  return value;
}
