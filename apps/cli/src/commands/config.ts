import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { type Io, readStdin } from "../cli/io.ts";
import { parseCommandArgs } from "../cli/parse.ts";
import { registerSecret } from "../cli/secrets.ts";
import { getAt, parseKey, redactConfig, setAt, typedValue, unsetAt } from "../config/keys.ts";
import { type ConfigFile, type ConfigIssue, checkConfig, formatConfigIssue, newIssues } from "../config/schema.ts";
import { loadSources } from "../config/settings.ts";
import { saveConfig } from "../config/store.ts";
import type { CommandRun } from "./types.ts";

/** `gptimg config path|show|get KEY|set KEY VALUE|unset KEY` */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [sub, key, value] = positionals;
  // A file other commands refuse is still found, shown and repaired here.
  const sources = await loadSources(values, io, { tolerate: true });
  const { path, config, exists, problem } = sources.file;
  const json = values.json === true;
  /** Refuses to go on with a file that is not JSON at all (or, for `get`, one with any problem). */
  const refuse = (always: boolean) => {
    if (problem && (always || problem.issues.length === 0))
      throw new CliError("usage", `config ${path}: ${problem.message}`, { exitCode: EXIT.usage });
  };
  const known = problem?.issues ?? [];
  switch (sub) {
    case "path":
      io.out(path);
      return EXIT.ok;
    case "show": {
      refuse(false);
      const shown = redactConfig(config);
      const problems = known.map(formatConfigIssue);
      if (json) io.out(JSON.stringify({ ok: !problem, path, exists, config: shown, ...(problem ? { problems } : {}) }));
      else {
        io.err(exists ? `# ${path}` : `# ${path} (not created yet)`);
        io.out(JSON.stringify(shown, null, 2));
      }
      if (!problem) return EXIT.ok;
      io.err(`config ${path}: every other command refuses this file until it is fixed:`);
      for (const line of problems) io.err(`  ${line}`);
      io.err(`fix each with gptimg config set KEY VALUE, or remove a key with gptimg config unset KEY`);
      return EXIT.usage;
    }
    case "get": {
      refuse(true);
      if (!key) throw usageError("config get KEY");
      const p = parseKey(key);
      const v = getAt(config as Record<string, unknown>, p.segments);
      if (v === undefined) {
        io.err(`${key}: not set`);
        return EXIT.usage;
      }
      const shown = p.secret ? "***redacted***" : redactConfig(v, p.segments[p.segments.length - 1]);
      io.out(typeof shown === "string" ? shown : JSON.stringify(shown));
      return EXIT.ok;
    }
    case "set": {
      if (!key || value === undefined) throw usageError("config set KEY VALUE (VALUE - reads stdin)");
      refuse(false);
      const p = parseKey(key);
      const raw = value === "-" ? (await readStdin()).trim() : value;
      if (p.secret) registerSecret(raw);
      const next = structuredClone(config) as Record<string, unknown>;
      setAt(next, p.segments, typedValue(p, raw, key));
      const left = checkConfig(next);
      const issues = newIssues(left, known);
      if (issues.length > 0) throw usageError(issues.map(formatConfigIssue).join("\n"));
      saveConfig(path, next as ConfigFile, io.env, known);
      io.err(`set ${key} in ${path}`);
      return stillBroken(left, path, io);
    }
    case "unset": {
      if (!key) throw usageError("config unset KEY");
      refuse(false);
      // a key the file should not have (`bogusKey`, `providers.x.typo`) is named as its problem says
      const named = known.some((i) => i.field === key) ? pathOf(config, key) : undefined;
      const segments = named ?? parseKey(key).segments;
      const next = structuredClone(config) as Record<string, unknown>;
      if (!unsetAt(next, segments)) {
        io.err(`${key}: not set`);
        return problem ? stillBroken(checkConfig(next), path, io) : EXIT.ok;
      }
      const left = checkConfig(next);
      const issues = newIssues(left, known);
      if (issues.length > 0)
        throw new CliError("usage", issues.map(formatConfigIssue).join("\n"), { exitCode: EXIT.usage });
      saveConfig(path, next as ConfigFile, io.env, known);
      io.err(`unset ${key} in ${path}`);
      return stillBroken(left, path, io);
    }
    default:
      throw usageError(`config ${sub ?? ""}: choose path, show, get, set or unset`.replace("config :", "config:"));
  }
};

/** After a change, given the problems left (`checkConfig`): exit 0 when there are none, else name them and exit 2. */
function stillBroken(left: ConfigIssue[], path: string, io: Io): number {
  if (left.length === 0) return EXIT.ok;
  io.err(`config ${path}: still to fix: ${left.map(formatConfigIssue).join("; ")}`);
  return EXIT.usage;
}

/**
 * The segments of a dotted key in the file as it is (names may hold dots, as model names do):
 * at each level the longest own key the rest starts with.
 * @example
 * pathOf({ rates: { "gpt-image-1.5": { typo: 1 } } }, "rates.gpt-image-1.5.typo") // ["rates", "gpt-image-1.5", "typo"]
 */
function pathOf(obj: unknown, key: string): string[] | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  const own = Object.keys(obj).sort((a, b) => b.length - a.length);
  for (const k of own) {
    if (key === k) return [k];
    if (!key.startsWith(`${k}.`)) continue;
    const rest = pathOf((obj as Record<string, unknown>)[k], key.slice(k.length + 1));
    if (rest) return [k, ...rest];
  }
  return undefined;
}
