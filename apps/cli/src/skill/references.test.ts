import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { settingsMarkdown } from "../cli/settings-table.ts";
import { REFERENCES } from "./references.ts";

const root = join(import.meta.dirname, "../../../..");

describe("generated documentation", () => {
  it.each(Object.keys(REFERENCES))("skills/gptimg/%s matches the tables it is made from", (path) => {
    const onDisk = readFileSync(join(root, "skills/gptimg", path), "utf8");
    // regenerate with: npx tsx apps/cli/scripts/skill-references.ts
    expect(onDisk).toBe(REFERENCES[path]!());
  });

  it("docs/cli.md carries the settings table of gptimg help config", () => {
    // regenerate with: npx tsx apps/cli/scripts/skill-references.ts
    expect(readFileSync(join(root, "docs/cli.md"), "utf8")).toContain(settingsMarkdown());
  });
});
