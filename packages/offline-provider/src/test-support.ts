import sharp from "sharp";

/** Format, size and alpha of encoded bytes, as decoded by sharp (tests only). */
export async function decoded(
  bytes: Uint8Array | string,
): Promise<{ format: string; width: number; height: number; hasAlpha: boolean }> {
  const buf = typeof bytes === "string" ? Buffer.from(bytes, "base64") : Buffer.from(bytes);
  const m = await sharp(buf).metadata();
  return { format: String(m.format), width: m.width ?? 0, height: m.height ?? 0, hasAlpha: m.hasAlpha };
}

/** POSTs JSON (tests only). */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** A real PNG (optionally with alpha) for edit uploads (tests only). */
export async function pngBytes(width: number, height: number, alpha = false): Promise<Uint8Array> {
  const channels = alpha ? 4 : 3;
  const buf = await sharp({
    create: { width, height, channels, background: { r: 10, g: 120, b: 200, alpha: alpha ? 0.5 : 1 } },
  })
    .png()
    .toBuffer();
  return new Uint8Array(buf);
}

/** Splits an SSE body into events (tests only). */
export function parseSse(text: string): Array<{ event: string; data: string }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
      return { event, data };
    });
}
