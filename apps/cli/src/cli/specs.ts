import { type FlagName, GROUPS } from "./flags.ts";
import { SUMMARIES } from "./summaries.ts";

/** What `help`, completions and the parser need to know about a command, without loading it. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagName[];
  /**
   * The words the command takes after its name, by subcommand (`""` for a command without
   * subcommands): `ID`, `[FILE]` (optional), `[PROMPT...]` (any number). Absent: no word at all.
   * The parser refuses a word past them, naming it and the usage; help and completions read
   * the subcommands from here ({@link subcommandsOf}).
   */
  words?: Readonly<Record<string, readonly string[]>>;
  /** extra help paragraphs */
  notes?: string[];
  /** flags other commands take that this one refuses, each with the reason the error gives */
  refuses?: Partial<Record<FlagName, string>>;
}

const { route, output, image, generate, edit } = GROUPS;

export const COMMANDS: CommandSpec[] = [
  {
    name: "generate",
    summary: SUMMARIES.generate,
    usage: "gptimg generate [PROMPT... | --prompt TEXT] [flags]    (PROMPT - reads stdin)",
    words: { "": ["[PROMPT...]"] },
    flags: ["prompt", ...image, ...generate, ...edit, "image-url", ...output, ...route],
    notes: [
      'example: gptimg generate "a lighthouse at dusk" -s 16:9 -q high -o out/',
      "with input images (-i/--image/--input/--edit-image, or --image-url) it edits them, as gptimg edit does.",
    ],
  },
  {
    name: "edit",
    summary: SUMMARIES.edit,
    usage: "gptimg edit [PROMPT... | --prompt TEXT] -i IMAGE [-i IMAGE ...] [--mask MASK.png|auto] [flags]",
    words: { "": ["[PROMPT...]"] },
    flags: ["prompt", ...edit, "image-url", ...image, ...output, ...route],
    notes: ['example: gptimg edit "put a red scarf on the dog" -i dog.png'],
  },
  {
    name: "batch",
    summary: SUMMARIES.batch,
    usage: "gptimg batch FILE.jsonl [--concurrency N] [flags]",
    words: { "": ["FILE.jsonl"] },
    // each line carries its own prompt, and a batch is never a dry run
    flags: [
      "concurrency",
      ...image.filter((f) => f !== "prompt-file"),
      ...generate,
      ...edit,
      ...output.filter((f) => f !== "dry-run"),
      ...route,
    ],
    refuses: {
      "dry-run": "it is per command; check a line with gptimg generate --dry-run",
      "prompt-file": 'each line gives its own prompt ({"prompt": "..."})',
      prompt: 'each line gives its own prompt ({"prompt": "..."})',
    },
    notes: [
      'each line is a JSON object: {"prompt": "...", "size": "16:9", "n": 2, "out": "name.png"} (keys: prompt and the long',
      "names of the image flags above, out, force, provider, timeout; a line with image is an edit). Flags given here are",
      "defaults for every line (a prompt is not: each line gives its own). Failed lines do not stop the rest;",
      "a re-run skips lines already done whose files are still there (state in .FILE.jsonl.gptimg-state.json beside",
      "the output; a line is known by its text, so delete that file to redo lines with other flags).",
      "exit code: 0 when every line is done, else the most serious of the failed lines' codes: 6 (maybe billed)",
      "before 3, 4, 5 and 2 (nothing sent); each line's error and exitCode (what it would exit with alone) are in the",
      "--json results.",
    ],
  },
  {
    name: "login",
    summary: SUMMARIES.login,
    usage:
      "gptimg login [--provider NAME] [--profile P] [--base-url URL] [--default] | gptimg login --endpoint URL | gptimg login --import [FILE...]",
    // the FILEs are --import's: login refuses a word without it
    words: { "": ["[FILE...]"] },
    flags: ["provider", "profile", "base-url", "model", "default", "endpoint", "import", "config"],
    notes: [
      "the key is read from the terminal without echo, or from stdin when piped. The first provider becomes",
      "the default; for another one a terminal is asked, or --default makes it the default.",
      "--import stores the config files of the image skills gptimg replaces as providers (0600):",
      "~/.config/gpt-image-2-generation/config.json, ~/.config/gpt-image-2-apikey/config.json and a",
      "skill folder's .env (OPENAI_API_KEY with OPENAI_BASE_URL and OPENAI_IMAGE_*, or GPT_IMAGE2_*)",
      "under ~/.claude/skills, ~/.codex/skills, ~/.openclaw/skills, ~/.cursor/skills and ./.claude/skills;",
      "or the FILEs given. It says what it found and never prints a key.",
    ],
  },
  {
    name: "logout",
    summary: SUMMARIES.logout,
    usage: "gptimg logout [--provider NAME | --endpoint URL | --all]",
    flags: ["provider", "endpoint", "all", "config"],
  },
  {
    name: "config",
    summary: SUMMARIES.config,
    usage: "gptimg config path|show|get KEY|set KEY VALUE|unset KEY",
    words: { path: [], show: [], get: ["KEY"], set: ["KEY", "VALUE"], unset: ["KEY"] },
    flags: ["config", "json"],
    notes: [
      "keys: provider, providers.NAME.{profile,baseUrl,apiKey,keyEnv,model,fixedModel,extraBody,fallbacks,",
      "paths.generations,paths.edits,paths.chat,paths.models}, endpoint.url, endpoint.token,",
      "rates.MODEL.{textInput,imageInput,imageOutput} (USD per million tokens).",
      "set parses arrays and objects as JSON and fallbacks as a comma list; VALUE - reads stdin (for secrets).",
    ],
  },
  {
    name: "sizes",
    summary: SUMMARIES.sizes,
    usage: "gptimg sizes [SIZE] [--model MODEL]",
    words: { "": ["[SIZE]"] },
    flags: ["model", "json"],
  },
  {
    name: "doctor",
    summary: SUMMARIES.doctor,
    usage: "gptimg doctor [flags]",
    flags: ["model", "json", "check-update", ...route],
  },
  {
    name: "jobs",
    summary: SUMMARIES.jobs,
    usage: "gptimg jobs list|show ID|wait ID [flags]",
    words: { list: [], show: ["ID"], wait: ["ID"] },
    flags: ["limit", "cursor", "scope", "json", "media", "out", "force", "endpoint", "token", "config", "timeout"],
  },
  {
    name: "admin",
    summary: SUMMARIES.admin,
    usage: "gptimg admin token create|list|revoke ID | gptimg admin usage [flags]",
    words: { "token create": [], "token list": [], "token revoke": ["ID"], usage: [] },
    flags: [
      "admin-token",
      "endpoint",
      "config",
      "team",
      "member",
      "expires-in-days",
      "models",
      "daily-image-quota",
      "rpm",
      "from",
      "to",
      "json",
    ],
  },
  {
    name: "mcp",
    summary: SUMMARIES.mcp,
    usage: "gptimg mcp [--out DIR] [--max-result-bytes N] [route flags]",
    flags: ["out", "max-result-bytes", ...route],
    notes: [
      "tools: generate_image, edit_image, resolve_size, get_job; settings, keys and the Worker route as for generate.",
      "images are saved under --out (default: the directory the client starts gptimg in); see docs/mcp.md",
      "example (Claude Code): claude mcp add gptimg -- gptimg mcp --out ~/Pictures/gptimg",
    ],
  },
  {
    name: "skill",
    summary: SUMMARIES.skill,
    usage:
      "gptimg skill show [FILE] | gptimg skill install [--agent claude|codex|openclaw|cursor] [--project] [--dir DIR] [--force]",
    words: { show: ["[FILE]"], install: [] },
    flags: ["agent", "project", "dir", "force", "json"],
    notes: [
      "show prints SKILL.md (or references/sizes.md, references/options.md). install writes the skill folder",
      "gptimg/ where the agent looks for skills:",
      "  claude    ~/.claude/skills          --project: ./.claude/skills",
      "  codex     ~/.agents/skills          --project: ./.agents/skills",
      "  openclaw  ~/.openclaw/skills        --project: ./skills (the workspace)",
      "  cursor    ~/.cursor/skills          --project: ./.cursor/skills",
      "A copy edited since it was installed is never overwritten without --force; an unedited one is updated.",
    ],
  },
  {
    name: "completion",
    summary: SUMMARIES.completion,
    usage: "gptimg completion bash|zsh|fish",
    words: { bash: [], zsh: [], fish: [] },
    flags: [],
  },
  {
    name: "help",
    summary: SUMMARIES.help,
    usage: "gptimg help [COMMAND]",
    words: { "": ["[COMMAND]"] },
    flags: [],
  },
];

/** The spec of `name`, or undefined. */
export const findCommand = (name: string): CommandSpec | undefined => COMMANDS.find((c) => c.name === name);

/** A command's subcommands (`admin`: token, usage), in the order its words list them. */
export const subcommandsOf = (spec: CommandSpec): string[] => [
  ...new Set(
    Object.keys(spec.words ?? {})
      .filter((path) => path !== "")
      .map((path) => path.split(" ")[0] as string),
  ),
];
