import { describe, expect, it } from "vitest";
import docs from "../../../docs/worker.md?raw";
import devVars from "../.dev.vars.example?raw";
import wrangler from "../wrangler.jsonc?raw";
import { SECRET_NAMES } from "./env.ts";
import envSource from "./env.ts?raw";

/** The members of `interface Env` in env.ts: name, doc comment, type, whether optional. */
function envMembers(): { name: string; doc: string; type: string; optional: boolean }[] {
  const start = envSource.indexOf("export interface Env {");
  const body = envSource.slice(start, envSource.indexOf("\n}\n", start));
  const members = [
    ...body.matchAll(
      /\/\*\*([\s\S]*?)\*\/\s*\n\s*(\[key: `?[A-Z_]+\$\{string\}`?\]|[A-Z][A-Z0-9_]*)(\??):\s*([^;]+);/g,
    ),
  ];
  return members.map((m) => ({
    name: (m[2] as string).replace(/^\[key: `([A-Z_]+)\$\{string\}`\]$/, "$1<NAME>"),
    doc: (m[1] as string).replace(/\s*\n\s*\*\s?/g, " ").trim(),
    type: (m[4] as string).trim(),
    optional: m[3] === "?",
  }));
}

/** Every `"binding": "NAME"` in wrangler.jsonc, and the keys of its `vars`. */
function wranglerNames(): { bindings: string[]; vars: string[] } {
  const config = JSON.parse(wrangler.replace(/^\s*\/\/.*$/gm, "")) as Record<string, unknown>;
  const bindings: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) k === "binding" && typeof x === "string" ? bindings.push(x) : walk(x);
  };
  walk(config);
  return { bindings, vars: Object.keys((config.vars ?? {}) as object) };
}

describe("Env, the one declaration of bindings, vars and secrets", () => {
  const members = envMembers();
  const kind = (doc: string) => /^(Secret|Var):/.exec(doc)?.[1] ?? "binding";
  const names = (k: string) => members.filter((m) => kind(m.doc) === k).map((m) => m.name);

  it("documents every member and says what kind it is", () => {
    const declared = [...envSource.matchAll(/^ {2}(\[key: [^\]]+\]|[A-Z][A-Z0-9_]*)\??:/gm)].length;
    expect(members.length, "a member of Env without a /** doc comment */").toBe(declared);
    expect(names("binding")).toEqual(expect.arrayContaining(["IMAGES", "DB", "IMAGE_JOBS"]));
    expect(names("Var")).toContain("PROVIDER_BASE_URL");
    for (const m of members) {
      const isString = /^string( \| undefined)?$/.test(m.type);
      expect(isString, `${m.name}: a string must be a "Var:" or a "Secret:", anything else a binding`).toBe(
        kind(m.doc) !== "binding",
      );
    }
  });

  it("SECRET_NAMES lists exactly the members marked Secret", () => {
    expect([...SECRET_NAMES].sort()).toEqual(
      names("Secret")
        .filter((n) => !n.endsWith("<NAME>"))
        .sort(),
    );
  });

  it("declares every binding and var of wrangler.jsonc", () => {
    const { bindings, vars } = wranglerNames();
    expect(bindings.filter((b) => !names("binding").includes(b))).toEqual([]);
    expect(vars.filter((v) => !names("Var").includes(v))).toEqual([]);
    // a Var the code reads without a fallback (declared without `?`) must have its value there
    const required = members.filter((m) => kind(m.doc) === "Var" && !m.optional).map((m) => m.name);
    expect(required.filter((v) => !vars.includes(v))).toEqual([]);
  });

  it(".dev.vars.example lists every secret and nothing Env does not declare", () => {
    const listed = [...devVars.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
    const known = (n: string) => members.some((m) => m.name === n) || n.startsWith("PROVIDER_API_KEY_");
    expect(listed.filter((n) => !known(n))).toEqual([]);
    expect(SECRET_NAMES.filter((n) => !listed.includes(n))).toEqual([]);
  });

  it("docs/worker.md documents every member", () => {
    expect(members.map((m) => m.name).filter((n) => !docs.includes(`\`${n}\``))).toEqual([]);
  });
});
