/** What every hidden secret becomes. */
export const REDACTED = "***redacted***";

/** Shorter secrets are ignored: replacing two or three characters would shred ordinary text. */
const MIN_SECRET_LENGTH = 4;

// Anything after "Bearer " up to whitespace, a quote or a separator.
const BEARER = /\b(bearer\s+)[^\s"'`,;<>]+/gi;
// OpenAI-style keys: sk-, sk-proj-, sk-ant-… followed by at least 8 key characters.
const SK_TOKEN = /\bsk-[A-Za-z0-9_-]{8,}/g;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The spellings a secret may take in URLs, form bodies and JSON. */
function spellings(secret: string): string[] {
  const out = new Set([secret]);
  try {
    const encoded = encodeURIComponent(secret);
    out.add(encoded);
    out.add(encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    out.add(encoded.replace(/%20/g, "+"));
  } catch {
    // a lone surrogate cannot be URL-encoded; the raw spelling is still covered
  }
  out.add(JSON.stringify(secret).slice(1, -1));
  return [...out];
}

/**
 * Hides secrets in text meant for output, logs or errors: each given secret (4+ characters; also
 * URL-encoded and JSON-escaped), every `Bearer <token>` and every `sk-…` key become
 * `***redacted***`. One pass per pattern, so it stays linear on large text.
 * @example
 * redact("401 for key sk-canary-do-not-leak", [apiKey]) // "401 for key ***redacted***"
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  if (typeof text !== "string" || text.length === 0) return text;
  const present = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) continue;
    for (const s of spellings(secret)) if (text.includes(s)) present.add(s);
  }
  let out = text;
  if (present.size > 0) {
    // Longest first, in one alternation, so a secret inside another is hidden whole and no
    // replacement is scanned again.
    const alternation = [...present]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join("|");
    out = out.replace(new RegExp(alternation, "g"), REDACTED);
  }
  if (/bearer/i.test(out)) out = out.replace(BEARER, `$1${REDACTED}`);
  if (out.includes("sk-")) out = out.replace(SK_TOKEN, REDACTED);
  return out;
}
