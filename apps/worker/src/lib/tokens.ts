/** Random identifiers, member tokens and their hashes. */

const ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A random id such as `job_3k9x…`: 20 characters from [0-9a-z] (~103 bits), safe in R2 keys,
 * URLs and workflow instance ids.
 * @example
 * randomId("job") // "job_0q7w3…"
 */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let s = "";
  // 256 % 36 leaves a tiny bias; irrelevant for identifiers that are not secrets
  for (const b of bytes) s += ID_ALPHABET[b % 36];
  return `${prefix}_${s}`;
}

/** Base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Strict base64url decode: only the canonical encoding is accepted (no padding, no stray bits),
 * so two different strings never decode to the same bytes. Returns null on anything else.
 */
export function fromBase64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  return base64url(bytes) === s ? bytes : null;
}

/** A member token: `gpi_` + 32 random bytes in base64url. Shown to the admin once. */
export function generateToken(): string {
  return `gpi_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Lower-case hex of bytes. */
export const toHex = (bytes: ArrayBuffer | Uint8Array): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Lower-case hex SHA-256 of bytes, or of a string's UTF-8. */
export async function sha256Hex(data: string | Uint8Array | ArrayBuffer): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

/** What D1 stores for a token: its SHA-256, so a leaked database yields no usable token. */
export const hashToken = sha256Hex;

/**
 * Constant-time string comparison: both sides are hashed first so neither the length nor the
 * position of the first difference shows in the timing.
 */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0 && a.length === b.length;
}

/** Names used for teams and members: they end up in R2 keys and must stay path-safe. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * HMAC-SHA256 of `message` (bytes, or a string's UTF-8) under `key` (a string's UTF-8): URL
 * signing, callback signatures, per-team callback secrets and Slack's request signature.
 */
export async function hmacSha256(key: string, message: Uint8Array | string): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const data = typeof message === "string" ? enc.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as Uint8Array<ArrayBuffer>));
}
