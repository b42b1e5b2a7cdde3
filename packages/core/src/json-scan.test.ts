import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadResponseError } from "./errors/index.ts";
import { formatPath, JsonScanner, type PathItem } from "./json-scan.ts";

const enc = new TextEncoder();

/** Splits bytes at the given points (taken modulo the length). */
const split = (bytes: Uint8Array, at: number[]): Uint8Array[] => {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
};

/** Builds the whole document, as JSON.parse would. */
const parse = (chunks: Uint8Array[], maxStringBytes?: number): unknown => {
  let result: unknown;
  const s = new JsonScanner(
    { descend: () => false, value: (_p, v) => (result = v) },
    maxStringBytes === undefined ? {} : { maxStringBytes },
  );
  for (const c of chunks) s.write(c);
  s.end();
  return result;
};

const VALID = [
  "{}",
  "[]",
  '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
  ' \n\t{ "k" : [ 1 , -0.5e+3 , 2E-2 , 0 ] } \r\n',
  '"plain"',
  "42",
  "-0",
  "null",
  '{"s":"quote \\" slash \\/ back \\\\ ctl \\b\\f\\n\\r\\t"}',
  '{"u":"\\u00e9\\u4e2d\\ud83d\\ude00 lone \\ud800 end"}',
  '{"utf8":"héllo 中文 😀"}',
  '{"__proto__":{"polluted":true},"x":1}',
  '{"dup":1,"dup":2}',
  '[[[[[]]]],{"":""}]',
];

const INVALID: [string, string][] = [
  ["{a:1}", "at byte 1: expected a key or '}', found 'a'"],
  ['{"a" 1}', "at byte 5: expected ':' after a key"],
  ['{"a":1,}', "at byte 7: expected a key, found '}'"],
  ["[1,]", "at byte 3: expected a value, found ']'"],
  ["[1 2]", "at byte 3: expected ',' or ']'"],
  ['{"a":tru}', 'invalid literal "tru"'],
  ["[01]", 'invalid number "01"'],
  ["[1.]", 'invalid number "1."'],
  ['{"a":"\\x"}', "invalid escape '\\x'"],
  ['{"a":"\\u12g4"}', "is not a hex digit"],
  ['{"a":"line\nbreak"}', "control character byte 0x0a inside a string"],
  ["{} {}", "at byte 3: unexpected '{' after the end of the document"],
  ["<html>", "at byte 0: expected a value, found '<'"],
];

describe("JsonScanner", () => {
  it.each(VALID)("builds %j like JSON.parse, whole and byte by byte", (doc) => {
    const bytes = enc.encode(doc);
    const expected = JSON.parse(doc);
    expect(parse([bytes])).toStrictEqual(expected);
    expect(parse(split(bytes, [...bytes.keys()]))).toStrictEqual(expected);
  });

  it("keeps __proto__ as an own property, as JSON.parse does", () => {
    const v = parse([enc.encode('{"__proto__":{"polluted":true}}')]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(INVALID)("rejects %j naming the position", (doc, message) => {
    expect(() => JSON.parse(doc)).toThrow();
    const bytes = enc.encode(doc);
    for (const chunks of [[bytes], split(bytes, [...bytes.keys()])]) {
      expect(() => parse(chunks)).toThrow(BadResponseError);
      expect(() => parse(chunks)).toThrow(message);
    }
  });

  it("reports every proper prefix of a document as ended early", () => {
    const doc = enc.encode('{"data":[{"b64_json":"QUJD","n":12.5}],"usage":{"t":[true,null]}}');
    for (let cutAt = 1; cutAt < doc.length; cutAt++) {
      expect(() => parse([doc.subarray(0, cutAt)])).toThrow(/ended early after \d+ bytes/);
    }
    expect(() => parse([])).toThrow("JSON is empty");
  });

  it("caps built strings and keys, and nesting", () => {
    expect(() => parse([enc.encode(`{"a":"${"x".repeat(100)}"}`)], 64)).toThrow(
      "the string at a in JSON is longer than 64 bytes",
    );
    expect(() => parse([enc.encode(`{"${"k".repeat(100)}":1}`)], 64)).toThrow("is longer than 64 bytes");
    expect(() => parse([enc.encode(`${"[".repeat(65)}${"]".repeat(65)}`)])).toThrow("nesting deeper than 64 levels");
  });

  it("walks into chosen containers and streams chosen strings", () => {
    const seen: [string, unknown][] = [];
    let streamed = "";
    const s = new JsonScanner({
      descend: (path) => path.length < 3,
      streamString: (path) =>
        path.at(-1) === "big"
          ? {
              write: (src, start, end) => {
                let i = start;
                while (i < end && src[i] !== 0x22 && src[i] !== 0x5c) i++;
                streamed += new TextDecoder().decode(src.subarray(start, i));
                return i;
              },
              writeCode: (c) => {
                streamed += String.fromCharCode(c);
              },
              close: () => seen.push(["closed big", streamed]),
            }
          : undefined,
      value: (path, v) => seen.push([formatPath(path), v]),
      close: (path, kind) => seen.push([`close ${formatPath(path)}`, kind]),
    });
    for (const c of split(enc.encode('{"data":[{"big":"ab\\/cd","x":{"y":1}}],"z":2}'), [3, 15, 17, 21])) s.write(c);
    s.end();
    expect(seen).toEqual([
      ["closed big", "ab/cd"],
      ["data[0].x", { y: 1 }],
      ["close data[0]", "object"],
      ["close data", "array"],
      ["z", 2],
      ["close (root)", "object"],
    ]);
  });

  it("parses random JSON like JSON.parse under random chunking", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.nat(), { maxLength: 10 }), (value, at) => {
        const text = JSON.stringify(value);
        expect(parse(split(enc.encode(text), at))).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 400 },
    );
  });

  it("formats paths", () => {
    const cases: [PathItem[], string][] = [
      [[], "(root)"],
      [["data", 0, "b64_json"], "data[0].b64_json"],
      [[1, "a"], "[1].a"],
    ];
    for (const [p, s] of cases) expect(formatPath(p)).toBe(s);
  });
});
