import { usageError } from "../cli/errors.ts";
import { FLAGS, type FlagDef } from "../cli/flags.ts";
import { parseCommandArgs } from "../cli/parse.ts";
import { COMMANDS, subcommandsOf } from "../cli/specs.ts";
import type { CommandRun } from "./types.ts";

const names = COMMANDS.map((c) => c.name);
const flagsOf = (c: (typeof COMMANDS)[number]): string[] =>
  [...c.flags, "help" as const].flatMap((f) => [f, ...(FLAGS[f].aliases ?? [])]).map((f) => `--${f}`);

/** What completes after a value-taking flag: its choices or suggestions, else nothing special. */
const valuesOf = (d: FlagDef): readonly string[] | undefined => d.choices ?? d.suggest;

/** `--size|-s)` style case patterns for the value-taking flags, grouped by what completes. */
function bashValueCases(): string {
  const choice: string[] = [];
  const files: string[] = [];
  const free: string[] = [];
  for (const [name, d] of Object.entries(FLAGS) as [string, FlagDef][]) {
    if (d.type !== "string") continue;
    const pattern = [`--${name}`, ...(d.aliases ?? []).map((a) => `--${a}`), ...(d.short ? [`-${d.short}`] : [])].join(
      "|",
    );
    const values = valuesOf(d);
    if (values) choice.push(`    ${pattern}) COMPREPLY=( $(compgen -W "${values.join(" ")}" -- "$cur") ); return ;;`);
    else if (d.file) files.push(pattern);
    else free.push(pattern);
  }
  return [
    ...choice,
    `    ${files.join("|")}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;`,
    `    ${free.join("|")}) return ;;`,
  ].join("\n");
}

function bash(): string {
  const cases = COMMANDS.map(
    (c) => `    ${c.name}) opts="${flagsOf(c).join(" ")}"; subs="${subcommandsOf(c).join(" ")}" ;;`,
  ).join("\n");
  return `# bash completion for gptimg; eval "$(gptimg completion bash)"
_gptimg() {
  local cur prev cmd opts subs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names.join(" ")} --help --version" -- "$cur") )
    return
  fi
  if [ "$cmd" = help ]; then
    [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=( $(compgen -W "${names.join(" ")}" -- "$cur") )
    return
  fi
  # The word after a flag that takes a value is that value: its choices, a file, or free text.
  case "$prev" in
${bashValueCases()}
  esac
  case "$cmd" in
${cases}
    *) opts=""; subs="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [ -n "$subs" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _gptimg gptimg
`;
}

const esc = (s: string): string => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, "\\$&");

function zsh(): string {
  const cases = COMMANDS.map((c) => {
    const specs = [...c.flags, "help" as const].map((f) => {
      const d = FLAGS[f];
      const values = valuesOf(d);
      const arg =
        d.type === "string" ? (values ? `:${f}:(${values.join(" ")})` : d.file ? `:${f}:_files` : `:${f}:`) : "";
      return `'${d.multiple ? "*" : ""}--${f}[${esc(d.help)}]${arg}'`;
    });
    const named = subcommandsOf(c);
    const subs = named.length > 0 ? ` '1:subcommand:(${named.join(" ")})'` : "";
    return `    ${c.name}) _arguments ${specs.join(" ")}${subs} '*:file:_files' ;;`;
  }).join("\n");
  return `#compdef gptimg
# zsh completion for gptimg; gptimg completion zsh > "\${fpath[1]}/_gptimg"
_gptimg() {
  if (( CURRENT == 2 )); then
    _values 'command' ${COMMANDS.map((c) => `'${c.name}[${esc(c.summary)}]'`).join(" ")}
    return
  fi
  local cmd=\${words[2]}
  shift words; (( CURRENT-- ))
  case $cmd in
${cases}
  esac
}
compdef _gptimg gptimg
`;
}

function fish(): string {
  const lines = [
    "# fish completion for gptimg; gptimg completion fish > ~/.config/fish/completions/gptimg.fish",
    "complete -c gptimg -f",
  ];
  for (const c of COMMANDS) {
    lines.push(`complete -c gptimg -n __fish_use_subcommand -a ${c.name} -d '${c.summary.replace(/'/g, "\\'")}'`);
    const subs = subcommandsOf(c);
    if (subs.length > 0)
      lines.push(`complete -c gptimg -n '__fish_seen_subcommand_from ${c.name}' -a '${subs.join(" ")}'`);
    for (const f of [...c.flags, "help" as const]) {
      const d = FLAGS[f];
      const short = d.short ? ` -s ${d.short}` : "";
      const values = valuesOf(d);
      const arg = d.type === "string" ? (values ? ` -x -a '${values.join(" ")}'` : d.file ? " -r -F" : " -x") : "";
      lines.push(
        `complete -c gptimg -n '__fish_seen_subcommand_from ${c.name}' -l ${f}${short}${arg} -d '${d.help.replace(/'/g, "\\'")}'`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** `gptimg completion bash|zsh|fish`: generated from the same tables as the parser. */
export const run: CommandRun = async (args, io, spec) => {
  const [shell] = parseCommandArgs(spec, args).positionals;
  const scripts: Record<string, () => string> = { bash, zsh, fish };
  const make = shell === undefined ? undefined : scripts[shell];
  if (!make) throw usageError(`completion ${shell ?? "(no shell)"}: choose one of bash, zsh, fish`);
  io.out(make().trimEnd());
  return 0;
};
