import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { readStdin } from "../cli/io.ts";
import { parseCommandArgs } from "../cli/parse.ts";
import { registerSecret } from "../cli/secrets.ts";
import { getAt, parseKey, redactConfig, setAt, typedValue, unsetAt } from "../config/keys.ts";
import { type ConfigFile, checkConfig, formatConfigIssue } from "../config/schema.ts";
import { loadSources } from "../config/settings.ts";
import { saveConfig } from "../config/store.ts";
import type { CommandRun } from "./types.ts";

/** `gptimg config path|show|get KEY|set KEY VALUE|unset KEY` */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [sub, key, value, ...extra] = positionals;
  const sources = await loadSources(values, io);
  const { path, config, exists } = sources.file;
  const json = values.json === true;
  switch (sub) {
    case "path":
      io.out(path);
      return EXIT.ok;
    case "show": {
      const shown = redactConfig(config);
      if (json) io.out(JSON.stringify({ ok: true, path, exists, config: shown }));
      else {
        io.err(exists ? `# ${path}` : `# ${path} (not created yet)`);
        io.out(JSON.stringify(shown, null, 2));
      }
      return EXIT.ok;
    }
    case "get": {
      if (!key || value !== undefined) throw usageError("config get KEY");
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
      if (!key || value === undefined || extra.length > 0)
        throw usageError("config set KEY VALUE (VALUE - reads stdin)");
      const p = parseKey(key);
      const raw = value === "-" ? (await readStdin()).trim() : value;
      if (p.secret) registerSecret(raw);
      const next = structuredClone(config) as Record<string, unknown>;
      setAt(next, p.segments, typedValue(p, raw, key));
      const issues = checkConfig(next);
      if (issues.length > 0) throw usageError(issues.map(formatConfigIssue).join("\n"));
      saveConfig(path, next as ConfigFile, io.env);
      io.err(`set ${key} in ${path}`);
      return EXIT.ok;
    }
    case "unset": {
      if (!key || value !== undefined) throw usageError("config unset KEY");
      const p = parseKey(key);
      const next = structuredClone(config) as Record<string, unknown>;
      if (!unsetAt(next, p.segments)) {
        io.err(`${key}: not set`);
        return EXIT.ok;
      }
      const issues = checkConfig(next);
      if (issues.length > 0)
        throw new CliError("usage", issues.map(formatConfigIssue).join("\n"), { exitCode: EXIT.usage });
      saveConfig(path, next as ConfigFile, io.env);
      io.err(`unset ${key} in ${path}`);
      return EXIT.ok;
    }
    default:
      throw usageError(`config ${sub ?? ""}: choose path, show, get, set or unset`.replace("config :", "config:"));
  }
};
