/**
 * Writes the documentation generated from core's tables and the CLI's flags: the skill's
 * reference tables (skills/gptimg/references/*.md) and the settings table in docs/cli.md (the
 * one `gptimg help config` prints). Run after changing an option, a size or a provider profile:
 *   npx tsx apps/cli/scripts/skill-references.ts
 * src/skill/references.test.ts fails while the files on disk differ from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { settingsMarkdown } from "../src/cli/settings-table.ts";
import { REFERENCES } from "../src/skill/references.ts";

const root = join(import.meta.dirname, "../../..");
for (const [path, render] of Object.entries(REFERENCES)) {
  writeFileSync(join(root, "skills/gptimg", path), render());
  console.error(`wrote skills/gptimg/${path}`);
}

// docs/cli.md: the table is the run of `|` lines that starts with the settings header
const docPath = join(root, "docs/cli.md");
const lines = readFileSync(docPath, "utf8").split("\n");
const header = settingsMarkdown().split("\n")[0];
const start = lines.indexOf(header as string);
if (start < 0) throw new Error(`docs/cli.md has no line ${JSON.stringify(header)} to put the settings table at`);
let end = start;
while (end < lines.length && lines[end]?.startsWith("|")) end++;
lines.splice(start, end - start, ...settingsMarkdown().split("\n"));
writeFileSync(docPath, lines.join("\n"));
console.error("wrote the settings table in docs/cli.md");
