import { usageError } from "./errors.ts";
import { FLAGS, type FlagName, type FlagValues } from "./flags.ts";
import type { CommandSpec } from "./specs.ts";

export interface Parsed {
  values: FlagValues;
  positionals: string[];
  /** how each value of a repeatable flag was typed (`-i`, `--image`, `--input`), in its values' order */
  typedAs: Partial<Record<FlagName, string[]>>;
}

/**
 * Parses `args` against the flags `spec` accepts (and their aliases, folded into the flag's own
 * name), as `node:util`'s `parseArgs` does in strict mode with positionals allowed (the CLI's
 * start-up does not load `node:util` for it): `--name VALUE`, `--name=VALUE`, `-x VALUE`,
 * `-xVALUE`, groups of boolean shorts (`-ab`), `--` ending the flags; a repeated flag keeps its
 * last value, a `multiple` one every value in command-line order. Unknown flags (with the nearest
 * known one), missing values and values for boolean flags become usage errors (exit 2) naming
 * the flag; a word past those the command takes ({@link CommandSpec.words}) names the word and
 * the usage.
 */
export function parseCommandArgs(spec: CommandSpec, args: string[]): Parsed {
  const names: FlagName[] = ["help", ...spec.flags];
  /** every long spelling (names and aliases) → the flag */
  const longs = new Map<string, FlagName>();
  const shorts = new Map<string, FlagName>();
  for (const name of names) {
    const def = FLAGS[name];
    longs.set(name, name);
    if (def.short) shorts.set(def.short, name);
    for (const alias of def.aliases ?? []) longs.set(alias, name);
  }
  const fail = (why: string) => usageError(`${spec.name}: ${why}`);
  const values: Record<string, string | string[] | boolean> = {};
  /** the long spelling each single-valued flag was given with, to refuse two spellings of one flag */
  const spelled = new Map<FlagName, string>();
  const positionals: string[] = [];
  const typedAs: Partial<Record<FlagName, string[]>> = {};
  /** `typed`: the flag as the command line spells it (`-i`, `--input`) */
  const set = (name: FlagName, spelling: string, value: string | boolean, typed: string) => {
    if (FLAGS[name].multiple) {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value as string] : [value as string];
      typedAs[name] = [...(typedAs[name] ?? []), typed];
      return;
    }
    const before = spelled.get(name);
    if (before !== undefined && before !== spelling) {
      const alias = before === name ? spelling : before;
      throw fail(`--${alias} and --${name} are the same flag: give one`);
    }
    spelled.set(name, spelling);
    values[name] = value;
  };
  /** The value of string flag `name` (typed as `shown`) from the next argument. */
  const next = (i: number, name: FlagName): string => {
    const value = args[i + 1];
    if (value === undefined || (value.length > 1 && value.startsWith("-"))) {
      throw fail(`flag --${name} needs a value (to pass one starting with -, write --${name}=VALUE)`);
    }
    return value;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const typed = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const name = longs.get(typed);
      if (name === undefined) {
        const why = spec.refuses?.[typed as FlagName];
        if (why) throw fail(`--${typed} is not a ${spec.name} flag: ${why}`);
        const near = nearestFlag(`--${typed}`, [...longs.keys()]);
        throw fail(`unknown flag --${typed}${near ? `; did you mean ${near}?` : ""} (see gptimg help)`);
      }
      const isString = FLAGS[name].type === "string";
      if (eq !== -1) {
        if (!isString) throw fail(`flag --${typed} does not take a value`);
        set(name, typed, arg.slice(eq + 1), `--${typed}`);
      } else if (isString) {
        set(name, typed, next(i, name), `--${typed}`);
        i++;
      } else set(name, typed, true, `--${typed}`);
      continue;
    }
    // shorts: `-x`, `-xVALUE` (x a string flag), `-abc` (booleans, the last may take the next argument)
    for (let at = 1; at < arg.length; at++) {
      const short = arg[at] as string;
      const name = shorts.get(short);
      if (name === undefined) throw fail(`unknown flag -${short} (see gptimg help)`);
      if (FLAGS[name].type !== "string") {
        set(name, name, true, `-${short}`);
        continue;
      }
      if (at < arg.length - 1) set(name, name, arg.slice(at + 1), `-${short}`);
      else {
        set(name, name, next(i, name), `-${short}`);
        i++;
      }
      break;
    }
  }
  refuseExtraWords(spec, positionals);
  return { values: values as FlagValues, positionals, typedAs };
}

/**
 * Refuses a word past those the command, or the subcommand the words start with, takes:
 * `admin token list foo` is an error naming `foo`, never a silently ignored word. An unknown or
 * missing subcommand is left to the command, which names its choices.
 */
function refuseExtraWords(spec: CommandSpec, positionals: string[]): void {
  const words = spec.words ?? { "": [] };
  let path: string[] | undefined;
  for (const key of Object.keys(words)) {
    const parts = key === "" ? [] : key.split(" ");
    const starts = parts.every((p, i) => positionals[i] === p);
    if (starts && (path === undefined || parts.length > path.length)) path = parts;
  }
  if (path === undefined) return;
  const takes = words[path.join(" ")] ?? [];
  if (takes.some((w) => w.includes("..."))) return;
  const extra = positionals[path.length + takes.length];
  if (extra === undefined) return;
  throw usageError(`${[spec.name, ...path].join(" ")}: unexpected word ${JSON.stringify(extra)}; usage: ${spec.usage}`);
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known long flag nearest to `flag` (`--sise` → `--size`), if one is near enough to be meant. */
export function nearestFlag(flag: string, known: readonly string[]): string | undefined {
  const typed = flag.replace(/^-+/, "").split("=")[0]?.toLowerCase() ?? "";
  if (typed.length < 2) return undefined;
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = name.startsWith(typed) ? 0.5 : distance(typed, name);
    if (!best || d < best.d) best = { name, d };
  }
  const limit = typed.length <= 4 ? 1 : 2;
  return best && best.d <= limit ? `--${best.name}` : undefined;
}

/** The single string value of a flag (the last one when repeated). */
export function str(values: FlagValues, name: FlagName): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === "string" ? v : undefined;
}

/** Every value of a repeatable flag. */
export function list(values: FlagValues, name: FlagName): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === "string" ? [v] : [];
}

/** A boolean flag. */
export const flag = (values: FlagValues, name: FlagName): boolean => values[name] === true;

/** An integer flag within bounds, or undefined when absent. */
export function intFlag(values: FlagValues, name: FlagName, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw usageError(`--${name} ${raw}: must be an integer from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`--${name} ${raw}: must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * An integer flag whose range core checks (`-n`, `--compression`, `--partial-images`): only the
 * syntax is checked here, so a range problem is reported together with every other bad option.
 */
export function intValue(values: FlagValues, name: FlagName, rangeHint: string): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw usageError(`--${name} ${raw}: must be an integer ${rangeHint}`);
  return Number(raw);
}

/** `300`, `90s`, `5m`, `1500ms` → milliseconds. */
export function parseDuration(raw: string, field = "--timeout"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m) throw usageError(`${field} ${raw}: must be a number of seconds, or end in ms, s, m or h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms < 1 || ms > 24 * 3_600_000) throw usageError(`${field} ${raw}: must be between 1 ms and 24 h`);
  return ms;
}

/** The ids the Worker gives jobs and tokens (job_abc123, tok_abc). */
const ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * A command's id argument, checked before any setting is read: missing or malformed, the error
 * names the command, the value and the rule.
 * @example
 * idArgument("jobs show", "job_abc123", "job", "job_abc123") // "job_abc123"
 */
export function idArgument(command: string, id: string | undefined, kind: string, example: string): string {
  if (id === undefined) throw usageError(`${command}: needs a ${kind} id such as ${example}`);
  if (!ID.test(id))
    throw usageError(`${command} ${id}: not a ${kind} id: must be 1-128 letters, digits, _ or - (such as ${example})`);
  return id;
}
