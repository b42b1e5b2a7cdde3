import type { Env } from "../env.ts";
import { ConfigError } from "./errors.ts";
import { base64url, fromBase64url } from "./tokens.ts";

/** Longest lifetime of a signed URL: 7 days. */
export const MAX_URL_TTL_SECONDS = 7 * 24 * 3600;
/** Default lifetime when neither the caller nor SIGNED_URL_TTL_SECONDS says otherwise. */
export const DEFAULT_URL_TTL_SECONDS = 3600;
/** Clock skew tolerated between the Worker that signed and the one that verifies. */
const SKEW_SECONDS = 300;
/**
 * A kid starts with a letter: JavaScript lists all-digit object keys first, in numeric order,
 * whatever order SIGNING_KEYS wrote them in, so a numeric kid could sign after a rotation.
 */
const KID_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,31}$/;
/** HMAC keys shorter than this are refused: a guessable key would let anyone mint URLs. */
const MIN_KEY_LENGTH = 32;

/**
 * The exact bytes signed: versioned, one field a line, so no two (kid, key, exp) triples share a
 * string (an object key cannot contain a newline: R2 keys here are built by `imageKey`).
 */
export const stringToSign = (kid: string, key: string, exp: number): string =>
  `gptimg-url-v1\n${kid}\nGET\n${key}\n${exp}`;

/**
 * `SIGNING_KEYS` as ordered [kid, secret] pairs; the last one signs. Entries with a kid outside
 * `[A-Za-z][A-Za-z0-9._-]{0,31}` or a secret under 32 characters are dropped. The one parser of
 * `SIGNING_KEYS`: URL signing, verification and callback secrets all read keys through it.
 */
export function signingKeys(env: Pick<Env, "SIGNING_KEYS">): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.SIGNING_KEYS ?? "");
  } catch {
    return [];
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return [];
  return Object.entries(parsed).filter(
    (e): e is [string, string] => KID_PATTERN.test(e[0]) && typeof e[1] === "string" && e[1].length >= MIN_KEY_LENGTH,
  );
}

/**
 * What is wrong with `SIGNING_KEYS`, one line per problem: entries named by kid (a kid is public:
 * every signed URL carries it) or, for a malformed kid, by position; never a secret. Empty when
 * every entry is usable.
 * @example
 * signingKeyProblems({ SIGNING_KEYS: '{"dev1":"short"}' }) // ['SIGNING_KEYS: "dev1": secret under 32 characters (ignored)', 'SIGNING_KEYS: no usable key …']
 */
export function signingKeyProblems(env: Pick<Env, "SIGNING_KEYS">): string[] {
  if (!env.SIGNING_KEYS) return [`SIGNING_KEYS: not set; signed URLs, url answers and job callbacks fail`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.SIGNING_KEYS);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    return [`SIGNING_KEYS: not a JSON object {"<kid>": "<secret>"}`];
  const out: string[] = [];
  for (const [i, [kid, secret]] of Object.entries(parsed).entries()) {
    if (!KID_PATTERN.test(kid))
      out.push(`SIGNING_KEYS: entry ${i + 1}: kid must match ${KID_PATTERN.source} (ignored)`);
    else if (typeof secret !== "string")
      out.push(`SIGNING_KEYS: ${JSON.stringify(kid)}: secret must be a string (ignored)`);
    else if (secret.length < MIN_KEY_LENGTH)
      out.push(`SIGNING_KEYS: ${JSON.stringify(kid)}: secret under ${MIN_KEY_LENGTH} characters (ignored)`);
  }
  if (signingKeys(env).length === 0) out.push(new NoSigningKeyError().message);
  return out;
}

/** `SIGNING_KEYS` holds no entry that passes the kid and length rules. Names the rule, never a value. */
export class NoSigningKeyError extends ConfigError {
  override name = "NoSigningKeyError";
  constructor() {
    super(
      `SIGNING_KEYS: no usable key (JSON {"<kid>": "<secret>"}, kid matching ${KID_PATTERN.source}, secret of at least ${MIN_KEY_LENGTH} characters)`,
    );
  }
}

/**
 * The newest usable signing key: the last entry `signingKeys` keeps. Throws `NoSigningKeyError`
 * when there is none, so nothing is ever signed with a short or malformed key.
 * @example
 * const { kid, key } = newestSigningKey(env);
 */
export function newestSigningKey(env: Pick<Env, "SIGNING_KEYS">): { kid: string; key: string } {
  const newest = signingKeys(env).at(-1);
  if (!newest) throw new NoSigningKeyError();
  return { kid: newest[0], key: newest[1] };
}

const keyCache = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

/** Path of an object under /files/, each segment percent-encoded. */
export const filePath = (key: string): string => `/files/${key.split("/").map(encodeURIComponent).join("/")}`;

/** The lifetime to use: `ttlSeconds`, else SIGNED_URL_TTL_SECONDS, else 1 h; 1 s to 7 days. */
export function resolveTtl(env: Pick<Env, "SIGNED_URL_TTL_SECONDS">, ttlSeconds?: number): number {
  const source = ttlSeconds === undefined ? "SIGNED_URL_TTL_SECONDS" : "ttlSeconds";
  const ttl = ttlSeconds ?? Number(env.SIGNED_URL_TTL_SECONDS ?? DEFAULT_URL_TTL_SECONDS);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_URL_TTL_SECONDS) {
    throw new RangeError(
      `${source} ${ttlSeconds ?? env.SIGNED_URL_TTL_SECONDS}: must be an integer from 1 to ${MAX_URL_TTL_SECONDS}`,
    );
  }
  return ttl;
}

/**
 * A signed, expiring URL for an R2 object: `<origin>/files/<key>?exp=<unix s>&kid=<kid>&sig=<base64url>`,
 * HMAC-SHA256 with the newest key of `SIGNING_KEYS`. Throws when no usable signing key is configured.
 * @example
 * const url = await signUrl(c.env, new URL(c.req.url).origin, key);
 */
export async function signUrl(
  env: Pick<Env, "SIGNING_KEYS" | "SIGNED_URL_TTL_SECONDS">,
  origin: string,
  key: string,
  ttlSeconds?: number,
  now: number = Date.now(),
): Promise<string> {
  const { kid, key: secret } = newestSigningKey(env);
  const exp = Math.floor(now / 1000) + resolveTtl(env, ttlSeconds);
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(stringToSign(kid, key, exp)),
  );
  const query = new URLSearchParams({ exp: String(exp), kid, sig: base64url(new Uint8Array(mac)) });
  return `${origin}${filePath(key)}?${query}`;
}

/** A verified request: the object key and the expiry the signature covers. */
export interface VerifiedFile {
  key: string;
  exp: number;
}

/**
 * Checks a `/files/…` URL: one `exp`, `kid` and `sig` each, a known kid, an expiry in the future and
 * at most 7 days (plus skew) ahead, and the HMAC via `crypto.subtle.verify` (constant time).
 * Returns null on any failure, without saying which: callers answer one opaque 403.
 * @example
 * const file = await verifySignedRequest(c.env, c.req.url);
 */
export async function verifySignedRequest(
  env: Pick<Env, "SIGNING_KEYS">,
  url: string | URL,
  now: number = Date.now(),
): Promise<VerifiedFile | null> {
  // The URL parser turns "\\" into "/" in http(s) paths: a URL we signed never has one, so a
  // URL that does was altered, even if it names the same object.
  if (typeof url === "string" && url.includes("\\")) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!u.pathname.startsWith("/files/")) return null;
  let key: string;
  try {
    key = u.pathname.slice("/files/".length).split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
  if (key === "" || key.includes("\n")) return null;
  const params = u.searchParams;
  for (const name of ["exp", "kid", "sig"]) if (params.getAll(name).length !== 1) return null;
  const expText = params.get("exp") ?? "";
  const kid = params.get("kid") ?? "";
  const sig = fromBase64url(params.get("sig") ?? "");
  if (!/^[1-9][0-9]{0,11}$/.test(expText) || !sig || sig.length !== 32) return null;
  const exp = Number(expText);
  const nowSec = Math.floor(now / 1000);
  if (exp <= nowSec || exp > nowSec + MAX_URL_TTL_SECONDS + SKEW_SECONDS) return null;
  const secret = signingKeys(env).find(([k]) => k === kid)?.[1];
  if (secret === undefined) return null;
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    sig,
    new TextEncoder().encode(stringToSign(kid, key, exp)),
  );
  return ok ? { key, exp } : null;
}
