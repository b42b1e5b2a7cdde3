/** Hashes used to compare requests that share an Idempotency-Key. */
import { dataSha256Hex } from "../lib/image-input.ts";
import { sha256Hex } from "../lib/tokens.ts";

/** JSON with object keys sorted at every level, so equal values serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/**
 * Hash of a multipart form that ignores the boundary (clients pick a new one on every retry):
 * each entry in order, text values as is, files by their SHA-256, type and size.
 */
export async function formHash(form: FormData): Promise<string> {
  const parts: unknown[] = [];
  for (const [name, entry] of form.entries()) {
    const value = entry as unknown as string | Blob;
    if (typeof value === "string") parts.push([name, value]);
    else parts.push([name, { sha256: await dataSha256Hex(value), type: value.type, size: value.size }]);
  }
  return sha256Hex(canonicalJson(parts));
}
