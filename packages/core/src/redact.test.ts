import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, redact } from "./redact.ts";

const KEY = "sk-canary-do-not-leak";
const TOKEN = "canary_team_token_123";

describe("redact", () => {
  it.each([
    ["a given secret", `upstream said: invalid key ${TOKEN}.`, [TOKEN], `upstream said: invalid key ${REDACTED}.`],
    ["every occurrence", `${TOKEN}/${TOKEN}`, [TOKEN], `${REDACTED}/${REDACTED}`],
    ["an sk- key not in the list", `Incorrect API key provided: ${KEY}`, [], `Incorrect API key provided: ${REDACTED}`],
    ["sk-proj- keys", "key sk-proj-canary_abcdefgh end", [], `key ${REDACTED} end`],
    ["a bearer header", "Authorization: Bearer abc.def-ghi", [], `Authorization: Bearer ${REDACTED}`],
    ["a bearer in JSON", '{"authorization":"bearer canaryvalue"}', [], `{"authorization":"bearer ${REDACTED}"}`],
    ["a URL-encoded secret", "GET /x?key=canary%2Fkey%3D1 failed", ["canary/key=1"], `GET /x?key=${REDACTED} failed`],
    ["lower-case percent escapes", "key=canary%2fkey%3d1", ["canary/key=1"], `key=${REDACTED}`],
    ["a form-encoded space", "k=canary+key+one", ["canary key one"], `k=${REDACTED}`],
    ["a JSON-escaped secret", '{"k":"canary\\"quote"}', ['canary"quote'], `{"k":"${REDACTED}"}`],
    ["a secret inside a longer one", "abcd-efgh", ["abcd", "abcd-efgh"], REDACTED],
    ["regex characters in a secret", "x (a+b)*c? y", ["(a+b)*c?"], `x ${REDACTED} y`],
  ])("hides %s", (_, text, secrets, expected) => {
    expect(redact(text, secrets)).toBe(expected);
  });

  it.each([
    ["secrets shorter than 4 characters", "a b abc", ["a", "abc"]],
    ["undefined and empty entries", "nothing here", [undefined, ""]],
    ["words that merely contain sk-", "a disk-based task-runner; sk-short", []],
    ["the word bearer without a token", "the bearer", []],
  ])("leaves text alone for %s", (_, text, secrets) => {
    expect(redact(text, secrets)).toBe(text);
  });

  it("handles empty text", () => {
    expect(redact("", [TOKEN])).toBe("");
  });

  it("never leaves a secret in the output", () => {
    const secretChar = fc.constantFrom(...'ABCXYZabcxyz0189_-./:=+ %&"');
    const secret = fc
      .array(secretChar, { minLength: 4, maxLength: 24 })
      .map((cs) => cs.join(""))
      // the marker itself would "contain" such a secret
      .filter((s) => !REDACTED.includes(s) && s.trim().length > 0);
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom("raw", "url", "json"),
        (secrets, pieces, picks, spelling) => {
          const encode = (s: string): string =>
            spelling === "url" ? encodeURIComponent(s) : spelling === "json" ? JSON.stringify(s).slice(1, -1) : s;
          let text = pieces[0]!;
          for (const [k, piece] of pieces.slice(1).entries()) {
            text += encode(secrets[(picks[k] ?? k) % secrets.length]!) + piece;
          }
          text += encode(secrets[0]!);
          const out = redact(text, secrets);
          for (const s of secrets) {
            expect(out).not.toContain(s);
            expect(out).not.toContain(encode(s));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("changes nothing when no secret, bearer or sk- key is present", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        fc.pre(!/sk-|bearer/i.test(text) && !text.includes("canary_"));
        expect(redact(text, [TOKEN, "canary_other"])).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
