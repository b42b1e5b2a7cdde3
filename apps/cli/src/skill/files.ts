import options from "../../../../skills/gptimg/references/options.md" with { type: "text" };
import sizes from "../../../../skills/gptimg/references/sizes.md" with { type: "text" };
import skill from "../../../../skills/gptimg/SKILL.md" with { type: "text" };

/** The skill's files as built into the binary, by their path inside the skill folder. */
export const SKILL_FILES: Readonly<Record<string, string>> = {
  "SKILL.md": skill,
  "references/sizes.md": sizes,
  "references/options.md": options,
};
