import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv.ts";

describe("parseDotenv", () => {
  it.each([
    ["A=1", { A: "1" }],
    ["export A=1", { A: "1" }],
    ["A = spaced value  ", { A: "spaced value" }],
    ["A=x # comment", { A: "x" }],
    ["A=x#not-a-comment", { A: "x#not-a-comment" }],
    ["# only a comment\n\nB=2", { B: "2" }],
    ["A='single $HOME \\n'", { A: "single $HOME \\n" }],
    ['A="double\\nline \\"q\\""', { A: 'double\nline "q"' }],
    ['A="multi\nline"\nB=3', { A: "multi\nline", B: "3" }],
    ["A=$(rm -rf /)", { A: "$(rm -rf /)" }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} must stay unexpanded
    ["A=${HOME}", { A: "${HOME}" }],
    ["A=1\r\nB=2\r\n", { A: "1", B: "2" }],
    ["\uFEFFA=bom", { A: "bom" }],
    ["not a pair\n=novalue\nC=ok", { C: "ok" }],
    ["A=1\nA=2", { A: "2" }],
  ])("%j", (text, expected) => {
    expect({ ...parseDotenv(text) }).toEqual(expected);
  });

  it("round-trips any printable value written with double quotes", () => {
    const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
    const value = fc.string({ unit: fc.constantFrom(..."abc XYZ019#='\"\\$\n\t!"), maxLength: 40 });
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (vars) => {
        const esc = (v: string): string =>
          v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t");
        const text = Object.entries(vars)
          .map(([k, v]) => `${k}="${esc(v)}"`)
          .join("\n");
        expect({ ...parseDotenv(text) }).toEqual({ ...vars });
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void parseDotenv(s)));
  });
});
