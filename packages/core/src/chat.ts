import { decodeBase64 } from "./base64.ts";
import { decodeDataUrl } from "./data-url.ts";
import { BadResponseError } from "./errors/index.ts";
import { readBody, toProviderError } from "./response-fields.ts";

/** An image found in a chat completion: decoded bytes (data URL, base64 part) or a URL to fetch. */
export type ChatImageRef = { bytes: Uint8Array } | { url: string };

/**
 * An image found but not yet decoded: `key` is its encoded form (the base64 payload, or the
 * whole data URL), so the same image given twice is found without decoding either copy.
 */
export type ChatImageSource = { key: string; decode: () => Uint8Array } | { url: string };

export interface ReadChatOptions {
  /** largest body read, in bytes; default 32 MiB (one 4K PNG as a data URL is about 15 MB) */
  maxBytes?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// ![alt](url "title") — the URL may be wrapped in <…>
const MARKDOWN_IMAGE = /!\[[^\]]*\]\(\s*<?([^\s)>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const BARE_DATA_URL = /data:image\/[a-zA-Z0-9.+-]+(?:;[a-zA-Z0-9=._-]+)*;base64,[A-Za-z0-9+/=]+/g;
// a bare link counts only when its path names an image file: other links are prose
const BARE_IMAGE_URL =
  /https?:\/\/[^\s<>()"'\]]+?\.(?:png|jpe?g|webp|gif)(?:\?[^\s<>()"'\]]*)?(?=[\s<>()"'\].,;!]|$)/gi;

class Collector {
  readonly refs: ChatImageSource[] = [];
  private readonly urls = new Set<string>();

  /** Adds an http(s) or data URL; other schemes and non-image data URLs are skipped. */
  url(url: string, where: string): void {
    const u = url.trim();
    if (u.startsWith("data:")) {
      const comma = u.indexOf(",");
      if (comma < 0) throw new BadResponseError(`${where}: a data URL without a comma`);
      const head = u.slice(5, comma).toLowerCase();
      if (!head.startsWith("image/")) return;
      const key = head.endsWith(";base64") ? u.slice(comma + 1) : u;
      this.refs.push({ key, decode: () => decodeDataUrl(u, where) as Uint8Array });
    } else if (/^https?:\/\//i.test(u) && !this.urls.has(u)) {
      this.urls.add(u);
      this.refs.push({ url: u });
    }
  }

  base64(b64: string, where: string): void {
    this.refs.push({ key: b64, decode: () => decodeBase64(b64, where) });
  }

  /** Markdown images, then bare data URLs and image links that are not inside one, in text order. */
  text(text: string, where: string): void {
    const found: { at: number; end: number; url: string }[] = [];
    for (const m of text.matchAll(MARKDOWN_IMAGE))
      found.push({ at: m.index, end: m.index + m[0].length, url: m[1] as string });
    const inside = (at: number): boolean => found.some((f) => at >= f.at && at < f.end);
    const bare: typeof found = [];
    for (const re of [BARE_DATA_URL, BARE_IMAGE_URL]) {
      for (const m of text.matchAll(re)) if (!inside(m.index)) bare.push({ at: m.index, end: 0, url: m[0] });
    }
    for (const f of [...found, ...bare].sort((a, b) => a.at - b.at)) this.url(f.url, where);
  }

  /** A content part or an `images[]` item, in the shapes providers use. */
  part(p: unknown, where: string): void {
    if (typeof p === "string") {
      this.text(p, where);
      return;
    }
    if (!isObj(p)) return;
    const iu = p.image_url;
    if (typeof iu === "string") this.url(iu, where);
    else if (isObj(iu) && typeof iu.url === "string") this.url(iu.url, where);
    else if (typeof p.b64_json === "string") this.base64(p.b64_json, `${where}.b64_json`);
    else if (typeof p.image_base64 === "string") this.base64(p.image_base64, `${where}.image_base64`);
    else if (p.type === "image_generation_call" && typeof p.result === "string")
      this.base64(p.result, `${where}.result`);
    else if (isObj(p.inline_data ?? p.inlineData)) {
      const d = (p.inline_data ?? p.inlineData) as Obj;
      if (typeof d.data === "string") this.base64(d.data, `${where}.inline_data.data`);
    } else if ((p.type === "image" || p.type === "output_image") && typeof p.url === "string") this.url(p.url, where);
    else if (typeof p.text === "string") this.text(p.text, `${where}.text`);
  }
}

/** The images of a parsed completion, undecoded, in the order `extractChatImages` gives them. */
export const collectChatImages = (completion: unknown): ChatImageSource[] => {
  const c = new Collector();
  if (!isObj(completion)) return c.refs;
  arr(completion.choices).forEach((choice, i) => {
    if (!isObj(choice)) return;
    const msg = isObj(choice.message) ? choice.message : isObj(choice.delta) ? choice.delta : undefined;
    if (!msg) return;
    const where = `choices[${i}].message`;
    if (typeof msg.content === "string") c.text(msg.content, `${where}.content`);
    else for (const [j, p] of arr(msg.content).entries()) c.part(p, `${where}.content[${j}]`);
    for (const [j, p] of arr(msg.images).entries()) c.part(p, `${where}.images[${j}]`);
  });
  // a relay that answers the chat route with an images-API body
  arr(completion.data).forEach((p, j) => {
    if (isObj(p) && typeof p.b64_json === "string") c.base64(p.b64_json, `data[${j}].b64_json`);
    else if (isObj(p) && typeof p.url === "string") c.url(p.url, `data[${j}].url`);
  });
  return c.refs;
};

/**
 * Finds the images in a chat-completions response: markdown image links and data URLs in
 * `choices[].message.content` (a string or an array of parts), `image_url` / `b64_json` /
 * `inline_data` parts, and OpenRouter's `message.images[]`. Data URLs come back decoded,
 * http(s) URLs as `{ url }`; ordinary links and non-image data are ignored.
 * @example
 * extractChatImages({ choices: [{ message: { content: "![cat](https://x.test/cat.png)" } }] });
 * // [{ url: "https://x.test/cat.png" }]
 */
export const extractChatImages = (completion: unknown): ChatImageRef[] =>
  collectChatImages(completion).map((r) => ("url" in r ? r : { bytes: r.decode() }));

/**
 * Reads a chat-completions body and finds its images without decoding them. The body is read
 * whole but bounded (`maxBytes`, default 32 MiB): chat responses carry images inside free text,
 * so they cannot be decoded field by field. A body with no image and an `error` object throws
 * with its message.
 */
export const readChatSources = async (
  body: ReadableStream<Uint8Array>,
  options: ReadChatOptions = {},
): Promise<ChatImageSource[]> => {
  const max = options.maxBytes ?? 32 * 1024 * 1024;
  const utf8 = new TextDecoder();
  let text = "";
  let bytes = 0;
  for await (const chunk of readBody(body)) {
    bytes += chunk.length;
    if (bytes > max) throw new BadResponseError(`chat response is larger than ${max} bytes (maxBytes)`);
    // decode as it arrives so the raw bytes are not held beside the text
    text += utf8.decode(chunk, { stream: true });
  }
  text += utf8.decode();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BadResponseError(`invalid JSON in chat response of ${bytes} bytes: ${(e as Error).message}`);
  }
  text = ""; // the parsed object holds what is needed from here on
  const refs = collectChatImages(parsed);
  if (refs.length === 0 && isObj(parsed)) {
    const err = toProviderError(parsed.error);
    if (err) throw new BadResponseError(`chat response carries an error: ${err.message}`);
  }
  return refs;
};

/**
 * Reads a chat-completions body and extracts its images, all decoded (see `readChatSources`
 * for the bounds and errors).
 * @example
 * const images = await readChatImages(res.body!);
 */
export const readChatImages = async (
  body: ReadableStream<Uint8Array>,
  options: ReadChatOptions = {},
): Promise<ChatImageRef[]> =>
  (await readChatSources(body, options)).map((r) => ("url" in r ? r : { bytes: r.decode() }));
