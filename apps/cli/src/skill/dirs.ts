/** Where each agent looks for skills: the user's folder (under HOME) and the project's (under the working directory). */
export const SKILL_DIRS = {
  claude: { user: ".claude/skills", project: ".claude/skills" },
  codex: { user: ".agents/skills", project: ".agents/skills" },
  openclaw: { user: ".openclaw/skills", project: "skills" },
  cursor: { user: ".cursor/skills", project: ".cursor/skills" },
} as const;

export type Agent = keyof typeof SKILL_DIRS;
