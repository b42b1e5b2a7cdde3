import { describe, expect, it } from "vitest";
import { type Layer, layerViolations, underSrc } from "../../../packages/core/test-fixtures/layers.ts";

/**
 * The Worker's layers, bottom up: each file imports only from its own layer or those below.
 * docs/architecture.md draws the same picture.
 */
export const WORKER_LAYERS: Layer[] = [
  { name: "env", paths: ["env.ts"] },
  { name: "lib", paths: ["lib/"] },
  { name: "jobs", paths: ["jobs/"] },
  { name: "routes, webhooks and middleware", paths: ["routes/", "webhooks/", "middleware/"] },
  { name: "app", paths: ["app.ts", "index.ts"] },
];

const sources = underSrc(import.meta.glob<string>("./**/*.ts", { query: "?raw", import: "default", eager: true }));

describe("the Worker's layers run one way", () => {
  it("reads every source file", () => {
    expect(Object.keys(sources)).toEqual(expect.arrayContaining(["env.ts", "app.ts", "jobs/create.ts"]));
  });

  it("no file under src/ imports from a layer above its own", () => {
    expect(layerViolations(sources, WORKER_LAYERS)).toEqual([]);
  });

  it("the check finds an import that goes up", () => {
    const files = { "lib/a.ts": 'import { b } from "../jobs/b.ts";\nexport { c } from "./c.ts";', "jobs/b.ts": "" };
    expect(layerViolations(files, WORKER_LAYERS)).toEqual(["lib/a.ts imports jobs/b.ts: jobs is above lib"]);
    expect(layerViolations({ "stray/x.ts": "" }, WORKER_LAYERS)).toEqual([
      "stray/x.ts: in no layer (add its folder to a layer)",
    ]);
  });
});

/** Files outside `repo` whose code (tests aside) names `table` in SQL. */
export function tableSqlOutside(files: Record<string, string>, table: string, repo: string): string[] {
  const sql = new RegExp(`\\b(FROM|JOIN|INTO|UPDATE)\\s+${table}\\b`, "i");
  return Object.entries(files)
    .filter(([path, text]) => path !== repo && !path.endsWith(".test.ts") && sql.test(text))
    .map(([path]) => `${path}: SQL on ${table} outside ${repo}`);
}

describe("each table's SQL lives in its repository module", () => {
  it("the tokens table is read and written only in lib/token-repo.ts", () => {
    expect(tableSqlOutside(sources, "tokens", "lib/token-repo.ts")).toEqual([]);
  });

  it("the check finds SQL on the table elsewhere, and not on a table whose name merely starts alike", () => {
    const files = {
      "lib/token-repo.ts": "SELECT id FROM tokens",
      "routes/x.ts": "db.prepare(`UPDATE tokens SET revoked_at = ?`)",
      "routes/y.ts": "SELECT 1 FROM tokens_archive; INSERT INTO quota_holds",
    };
    expect(tableSqlOutside(files, "tokens", "lib/token-repo.ts")).toEqual([
      "routes/x.ts: SQL on tokens outside lib/token-repo.ts",
    ]);
  });
});

/** Files (tests aside) that compute the time in seconds themselves rather than through `clock`. */
export function ownSecondClocks(files: Record<string, string>, clock: string): string[] {
  const seconds = /Date\.now\(\)\s*\/\s*1000\b/;
  return Object.entries(files)
    .filter(([path, text]) => path !== clock && !path.endsWith(".test.ts") && seconds.test(text))
    .map(([path]) => `${path}: seconds from Date.now() outside ${clock}`);
}

describe("the time in seconds is read in one place", () => {
  it("no file under src/ but lib/clock.ts divides Date.now() into seconds", () => {
    expect(ownSecondClocks(sources, "lib/clock.ts")).toEqual([]);
  });

  it("the check finds a file with its own seconds clock, floored or not", () => {
    const files = {
      "lib/clock.ts": "export const nowSeconds = () => Math.floor(Date.now() / 1000);",
      "routes/a.ts": "const now = Math.floor(Date.now() / 1000);",
      "webhooks/b.ts": "verify({ nowS: Date.now()/1000 })",
      "lib/c.ts": "const ms = Date.now(); const t = nowSeconds();",
    };
    expect(ownSecondClocks(files, "lib/clock.ts")).toEqual([
      "routes/a.ts: seconds from Date.now() outside lib/clock.ts",
      "webhooks/b.ts: seconds from Date.now() outside lib/clock.ts",
    ]);
  });
});
