/** Hashes used to compare requests that share an Idempotency-Key. */
import { sha256Hex, toHex } from "../lib/tokens.ts";

/** JSON with object keys sorted at every level, so equal values serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array)) {
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
 * Lower-case hex SHA-256 of a blob, streamed through workerd's `DigestStream`: a 50 MB edit input
 * is hashed without a second copy of it in memory.
 */
async function blobSha256Hex(blob: Blob): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await blob.stream().pipeTo(digest);
  return toHex(await digest.digest);
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
    else parts.push([name, { sha256: await blobSha256Hex(value), type: value.type, size: value.size }]);
  }
  return sha256Hex(canonicalJson(parts));
}
