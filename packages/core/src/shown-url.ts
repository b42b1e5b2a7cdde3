/**
 * URLs as messages, logs and dry-runs may quote them. A presigned URL carries its credential in
 * the query (`X-Amz-Signature`, `X-Goog-Signature`, `sig=`, `token=`) and some URLs in the
 * userinfo, so both are left out: the origin and path say which file was meant.
 */

/** Longest URL text quoted; longer paths are cut with "…". */
const MAX_SHOWN = 200;

// A Telegram bot token in a path (`/bot<id>:<secret>/getFile`, `/file/bot<id>:<secret>/…`).
const BOT_TOKEN = /\/bot\d+:[\w-]+/g;

const cut = (s: string): string => {
  const bare = s.replace(BOT_TOKEN, "/bot***");
  return bare.length > MAX_SHOWN ? `${bare.slice(0, MAX_SHOWN)}…` : bare;
};

/**
 * A URL fit to quote: scheme, host and path, with `?…` / `#…` where a query or fragment was
 * and never its userinfo (nor a Telegram bot token in its path). A data URL shows only its media type and length; text that does not
 * parse as a URL loses whatever follows `?`, `#` or an `@` before the path.
 * @example
 * shownUrl("https://user:pw@bucket.s3.amazonaws.com/a.png?X-Amz-Signature=abc") // "https://bucket.s3.amazonaws.com/a.png?…"
 */
export function shownUrl(url: string | URL): string {
  const text = String(url);
  const data = /^data:([^;,]*)[;,]/i.exec(text);
  if (data) return `data:${data[1]},… (${text.length} characters)`;
  let u: URL | undefined;
  try {
    u = typeof url === "string" ? new URL(url) : url;
  } catch {
    // not a URL: cut what would be its query, fragment and userinfo all the same
  }
  if (!u || u.origin === "null") {
    const [head = ""] = text.split(/[?#]/, 1);
    const bare = head.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, "$1");
    return cut(`${bare}${text.length > head.length ? "?…" : ""}`);
  }
  // nothing to hide: quoted as written (an origin keeps no added "/")
  if (!u.search && !u.hash && !u.username && !u.password) return cut(text);
  return `${cut(`${u.origin}${u.pathname}`)}${u.search ? "?…" : ""}${u.hash ? "#…" : ""}`;
}

// An http(s) URL in running text: up to whitespace, a quote or a bracket, less the sentence's
// own punctuation after it.
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'`<>()[\]{}]*[^\s"'`<>()[\]{}.,;:!?]/gi;

/**
 * Text with every http(s) URL in it shown as {@link shownUrl} shows it: for messages of other
 * code (a platform's fetch error, a host's answer) that may quote a URL with its signature.
 * @example
 * shownUrls("fetch failed: https://x.test/a.png?sig=abc") // "fetch failed: https://x.test/a.png?…"
 */
export const shownUrls = (text: string): string =>
  typeof text === "string" && /https?:\/\//i.test(text) ? text.replace(URL_IN_TEXT, (m) => shownUrl(m)) : text;
