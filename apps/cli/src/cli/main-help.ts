import { SUMMARIES } from "./summaries.ts";

/** Top-level help: the commands by their summaries, without loading their specs or the flag table. */
export function mainHelp(version: string): string {
  const names = Object.keys(SUMMARIES) as (keyof typeof SUMMARIES)[];
  const width = Math.max(...names.map((n) => n.length)) + 4;
  return [
    `gptimg ${version}: images from gpt-image-2 and OpenAI-compatible APIs`,
    "",
    "usage: gptimg <command> [flags]",
    "",
    "commands:",
    ...names.map((n) => `  ${n.padEnd(width)}${SUMMARIES[n]}`),
    "",
    "settings: flags > environment > ./.env > config file (gptimg help config for every variable)",
    "exit codes: 0 ok, 2 bad usage or input, 3 credentials, 4 refused by the provider,",
    "            5 provider or network failure, 6 outcome unknown (maybe billed), 130 interrupted",
    "",
    "gptimg help <command> or gptimg <command> --help for details; gptimg --version",
  ].join("\n");
}
