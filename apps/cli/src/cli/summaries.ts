/**
 * Each command's one-line summary, in the order the main help lists them. Kept apart from the
 * command specs (cli/specs.ts), which carry the flag table: `gptimg --help` loads only this.
 */
export const SUMMARIES = {
  generate: "create images from a prompt",
  edit: "edit or combine images with a prompt",
  batch: "run one job per line of a JSONL file",
  login: "store a provider key (or a Worker endpoint and team token)",
  logout: "remove a stored key or team token",
  config: "show or change the config file",
  sizes: "list sizes, or explain whether one is legal",
  doctor: "check config, key, provider, model and clock",
  jobs: "list, show or wait for Worker jobs",
  admin: "manage team tokens and usage on a Worker",
  mcp: "serve the image tools to an MCP client over stdio",
  skill: "print or install the agent skill that teaches coding agents to use gptimg",
  completion: "print a shell completion script",
  help: "show help for a command",
} as const;
