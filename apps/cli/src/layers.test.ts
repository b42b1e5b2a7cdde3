import { describe, expect, it } from "vitest";
import { type Layer, layerViolations, underSrc } from "../../../packages/core/test-fixtures/layers.ts";

/**
 * The CLI's layers, bottom up: each file imports only from its own layer or those below.
 * docs/architecture.md draws the same picture.
 */
export const CLI_LAYERS: Layer[] = [
  { name: "cli", paths: ["cli/", "version.ts"] },
  { name: "config, worker, files", paths: ["config/", "worker/", "files/", "batch/", "skill/", "cost.ts"] },
  { name: "run", paths: ["run/"] },
  { name: "commands", paths: ["commands/", "mcp/"] },
  { name: "main", paths: ["main.ts"] },
];

const sources = underSrc(import.meta.glob<string>("./**/*.ts", { query: "?raw", import: "default", eager: true }));

describe("the CLI's layers run one way", () => {
  it("reads every source file", () => {
    expect(Object.keys(sources)).toEqual(expect.arrayContaining(["main.ts", "cli/flags.ts", "run/execute.ts"]));
  });

  it("no file under src/ imports from a layer above its own", () => {
    expect(layerViolations(sources, CLI_LAYERS)).toEqual([]);
  });

  it("the check finds an import that goes up", () => {
    const files = { "cli/a.ts": 'import type { B } from "../run/b.ts";', "run/b.ts": "" };
    expect(layerViolations(files, CLI_LAYERS)).toEqual(["cli/a.ts imports run/b.ts: run is above cli"]);
  });
});
