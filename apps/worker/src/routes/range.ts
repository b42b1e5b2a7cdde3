/** A satisfiable single byte range: `offset` and `length` within an object of known size. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Parses a `Range` header (RFC 9110 §14.2) against an object of `size` bytes. Only one range is
 * served: a multi-range or malformed header is ignored (`undefined`, whole object), as the RFC
 * allows; an unsatisfiable single range is `"unsatisfiable"` (416).
 * @example
 * parseRange("bytes=0-99", 1000) // { offset: 0, length: 100 }
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, startText = "", endText = ""] = m;
  if (startText === "" && endText === "") return undefined;
  if (startText === "") {
    // suffix range: the last N bytes
    const n = Number(endText);
    if (n === 0) return "unsatisfiable";
    const length = Math.min(n, size);
    return size === 0 ? "unsatisfiable" : { offset: size - length, length };
  }
  const start = Number(startText);
  if (start >= size) return "unsatisfiable";
  const end = endText === "" ? size - 1 : Math.min(Number(endText), size - 1);
  if (end < start) return undefined;
  return { offset: start, length: end - start + 1 };
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => bare(t) === bare(etag));
}
