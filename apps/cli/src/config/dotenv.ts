/**
 * A small, safe `.env` parser: `KEY=value`, optional `export`, `#` comments, single quotes
 * (literal), double quotes (with \n \r \t \" \\ escapes, may span lines). No variable
 * expansion and no command substitution: a `.env` is data, never code.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  let i = 0;
  while (i < src.length) {
    const lineEnd = src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
    const line = src.slice(i, lineEnd);
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/.exec(line);
    if (!m?.[1]) {
      i = lineEnd + 1;
      continue;
    }
    const key = m[1];
    const valueStart = i + m[0].length;
    const quote = src[valueStart];
    if (quote === '"' || quote === "'") {
      const close = findClose(src, valueStart + 1, quote);
      if (close !== -1) {
        const raw = src.slice(valueStart + 1, close);
        out[key] = quote === '"' ? unescapeDouble(raw) : raw;
        const next = src.indexOf("\n", close);
        i = next === -1 ? src.length : next + 1;
        continue;
      }
    }
    // Unquoted: up to the end of the line, minus an inline comment that follows whitespace.
    out[key] = src
      .slice(valueStart, lineEnd)
      .replace(/\s+#.*$/, "")
      .trim();
    i = lineEnd + 1;
  }
  return out;
}

function findClose(src: string, from: number, quote: string): number {
  for (let j = from; j < src.length; j++) {
    const c = src[j];
    if (quote === '"' && c === "\\") {
      j++;
      continue;
    }
    if (quote === "'" && c === "\n") return -1;
    if (c === quote) return j;
  }
  return -1;
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" })[c] ?? c);
}
