/**
 * Writes the skill's generated reference tables (skills/gptimg/references/*.md) from core's
 * size and option tables and the CLI's flags. Run after changing an option or a size:
 *   npx tsx apps/cli/scripts/skill-references.ts
 * src/skill/references.test.ts fails while the files on disk differ from what this writes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REFERENCES } from "../src/skill/references.ts";

const skill = join(import.meta.dirname, "../../../skills/gptimg");
for (const [path, render] of Object.entries(REFERENCES)) {
  writeFileSync(join(skill, path), render());
  console.error(`wrote ${join(skill, path)}`);
}
