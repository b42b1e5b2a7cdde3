import type { FaultKind, FaultSpec, OutputFormat } from "./types.ts";

const KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  "latency",
  "status",
  "html",
  "cut",
  "reset",
  "hang",
  "invalid-json",
  "invalid-base64",
  "wrong-format",
  "wrong-size",
  "noise",
  "truncated-image",
]);

const FORMATS: ReadonlySet<string> = new Set(["png", "jpeg", "webp"]);

function num(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === "" || !Number.isFinite(n) || n < 0) {
    throw new Error(`fault ${name}=${value ?? ""}: expected a non-negative number`);
  }
  return n;
}

function bool(name: string, value: string | undefined): boolean {
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new Error(`fault ${name}=${value ?? ""}: expected true or false`);
}

/** Checks a fault object (from JSON or `setFaults`) and returns it; throws naming the bad field. */
export function checkFault(spec: unknown): FaultSpec {
  if (typeof spec !== "object" || spec === null) throw new Error(`fault ${JSON.stringify(spec)}: expected an object`);
  const f = spec as FaultSpec;
  if (!KINDS.has(f.kind)) throw new Error(`fault kind '${String(f.kind)}': expected one of ${[...KINDS].join(", ")}`);
  if (f.kind === "status" && !(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599)) {
    throw new Error(`fault status=${String(f.status)}: expected an HTTP status 400-599`);
  }
  if (f.kind === "wrong-format" && f.format !== undefined && !FORMATS.has(f.format)) {
    throw new Error(`fault wrong-format=${f.format}: expected png, jpeg or webp`);
  }
  if (f.kind === "wrong-size" && f.size !== undefined && !/^\d+x\d+$/.test(f.size)) {
    throw new Error(`fault wrong-size=${f.size}: expected WIDTHxHEIGHT`);
  }
  if (f.times !== undefined && !(f.times >= 1)) throw new Error(`fault times=${f.times}: expected a number >= 1`);
  return f;
}

/** Parses one `kind[=value][;param=value]…` item. */
function parseItem(item: string): FaultSpec {
  const [head = "", ...params] = item.split(";").map((s) => s.trim());
  const eq = head.indexOf("=");
  let kind = eq < 0 ? head : head.slice(0, eq);
  let value = eq < 0 ? undefined : head.slice(eq + 1);
  // A bare status code is shorthand for status=<code>.
  if (/^\d{3}$/.test(kind)) [kind, value] = ["status", kind];
  const spec: Record<string, unknown> = { kind };
  switch (kind) {
    case "latency":
      spec.ms = num("latency", value);
      break;
    case "status":
      spec.status = num("status", value);
      break;
    case "html":
      if (value !== undefined) spec.status = num("html", value);
      break;
    case "cut":
      if (value !== undefined) spec.bytes = num("cut", value);
      break;
    case "truncated-image":
      if (value !== undefined) spec.bytes = num("truncated-image", value);
      break;
    case "wrong-format":
      if (value !== undefined) spec.format = value as OutputFormat;
      break;
    case "wrong-size":
      if (value !== undefined) spec.size = value;
      break;
  }
  for (const p of params) {
    if (!p) continue;
    const i = p.indexOf("=");
    const key = (i < 0 ? p : p.slice(0, i)).trim().toLowerCase();
    const v = i < 0 ? undefined : p.slice(i + 1).trim();
    if (key === "times") spec.times = v === "inf" || v === "always" ? Number.POSITIVE_INFINITY : num(key, v);
    else if (key === "path") spec.path = v;
    else if (key === "retry-after") spec.retryAfter = v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    else if (key === "retry-after-ms") spec.retryAfterMs = num(key, v);
    else if (key === "should-retry" || key === "x-should-retry") spec.shouldRetry = bool(key, v);
    else if (key === "message") spec.message = v;
    else if (key === "code") spec.code = v;
    else
      throw new Error(
        `fault parameter '${key}' of '${kind}': expected times, path, retry-after, retry-after-ms, should-retry, message or code`,
      );
  }
  return checkFault(spec);
}

/**
 * Parses a fault header or `offline_fault` value: JSON (an object or an array of them), or
 * items `kind[=value][;param=value]…` joined by `,`.
 * @example parseFaultHeader("status=429;retry-after=2, latency=100")
 */
export function parseFaultHeader(text: string): FaultSpec[] {
  const t = text.trim();
  if (!t) return [];
  if (t.startsWith("{") || t.startsWith("[")) {
    const parsed: unknown = JSON.parse(t);
    return (Array.isArray(parsed) ? parsed : [parsed]).map(checkFault);
  }
  return t.split(",").map(parseItem);
}

/** Faults queued by `setFaults`: each entry serves the requests it matches, `times` times, in order. */
export class FaultQueue {
  private entries: Array<{ spec: FaultSpec; left: number }> = [];

  set(faults: FaultSpec[]): void {
    this.entries = faults.map((f) => ({ spec: checkFault(f), left: f.times ?? 1 }));
  }

  pending(): FaultSpec[] {
    return this.entries.map((e) => ({ ...e.spec, times: e.left }));
  }

  /** Takes the first entry matching this request. Without `path`, only POST requests match. */
  take(method: string, path: string): FaultSpec | undefined {
    const i = this.entries.findIndex((e) =>
      e.spec.path === undefined ? method === "POST" : path.includes(e.spec.path),
    );
    const entry = this.entries[i];
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.entries.splice(i, 1);
    return entry.spec;
  }
}
