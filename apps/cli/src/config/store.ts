import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { registerSecret } from "../cli/secrets.ts";
import { randomHex } from "../files/random-hex.ts";
import { isDefaultConfigPath } from "./paths.ts";
import { type ConfigFile, type ConfigIssue, checkConfig, formatConfigIssue, newIssues } from "./schema.ts";
import { seedConfigFile } from "./seed-files.ts";

const isWindows = process.platform === "win32";

export interface LoadedConfig {
  path: string;
  exists: boolean;
  config: ConfigFile;
  /** file mode as found, e.g. 0o600 (undefined when missing or on Windows) */
  mode: number | undefined;
  /** human notes such as "tightened … from 0644 to 0600" */
  notes: string[];
  /**
   * Only when loaded with `tolerate`: why the file would be refused ("not valid JSON…" or its
   * issues); `config` is then the file as parsed (unchecked), or empty when it is not JSON.
   */
  problem?: { message: string; issues: ConfigIssue[] };
}

/** Whether the commands that repair or diagnose a config file get it despite its problems. */
export interface LoadOptions {
  tolerate?: boolean;
}

const octal = (m: number): string => `0${(m & 0o777).toString(8)}`;

/**
 * Reads the config file. Once it parses as JSON, a file readable by others is tightened to 0600
 * (and the default directory to 0700), since it may hold keys. Problems exit 2 naming the field;
 * a file that is not JSON is neither changed nor quoted.
 */
export function loadConfig(
  path: string,
  env: Record<string, string | undefined>,
  opts: LoadOptions = {},
): LoadedConfig {
  const notes: string[] = [];
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      return { path, exists: false, config: {}, mode: undefined, notes };
    throw new CliError("io", `config ${path}: ${(e as Error).message}`, { exitCode: EXIT.usage });
  }
  if (!st.isFile()) throw new CliError("io", `config ${path}: not a regular file`, { exitCode: EXIT.usage });
  // Parsed before anything is changed: a path that is not a config file is left as it is.
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    // the parser's own message may quote the file, which may hold keys: keep only the position
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    const message = `not valid JSON${at ? ` (at position ${at})` : ""}`;
    if (opts.tolerate)
      return { path, exists: true, config: {}, mode: undefined, notes, problem: { message, issues: [] } };
    throw new CliError("usage", `config ${path}: ${message}`, { exitCode: EXIT.usage });
  }
  let mode: number | undefined;
  if (!isWindows) {
    mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      notes.push(`tightened ${path} from ${octal(mode)} to 0600 (it may hold keys)`);
      mode = 0o600;
    }
    if (isDefaultConfigPath(path, env)) tightenDir(dirname(path), notes);
  }
  // the JSON config of an image skill gptimg replaces (`api_key`, `base_url`…), read as one provider
  const seed = seedConfigFile(parsed, path);
  if (seed) {
    for (const p of Object.values(seed.providers ?? {})) registerSecret(p.apiKey);
    parsed = seed;
  }
  const issues = checkConfig(parsed);
  const problem = issues.length > 0 ? { message: issues.map(formatConfigIssue).join("; "), issues } : undefined;
  if (problem && !opts.tolerate)
    throw new CliError("usage", `config ${path}: ${problem.message}`, { exitCode: EXIT.usage });
  registerSecretsOf(parsed);
  const config = parsed as ConfigFile;
  return { path, exists: true, config, mode, notes, ...(problem ? { problem } : {}) };
}

/** Registers the keys and token of a file, whatever shape its parts have (a tolerated file's are unchecked). */
function registerSecretsOf(parsed: unknown): void {
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  const c = obj(parsed);
  for (const p of Object.values(obj(c.providers))) {
    const k = obj(p).apiKey;
    if (typeof k === "string") registerSecret(k);
  }
  const t = obj(c.endpoint).token;
  if (typeof t === "string") registerSecret(t);
}

function tightenDir(dir: string, notes: string[]): void {
  try {
    const m = statSync(dir).mode & 0o777;
    if ((m & 0o077) !== 0) {
      chmodSync(dir, 0o700);
      notes.push(`tightened ${dir} from ${octal(m)} to 0700`);
    }
  } catch {
    // A missing directory is created 0700 on the next save.
  }
}

/**
 * Writes the config atomically: a 0600 temp file in the same directory, fsync, rename. The
 * directory is created 0700 when missing.
 */
export function saveConfig(
  path: string,
  config: ConfigFile,
  env: Record<string, string | undefined>,
  /** problems the file already had (a repair may leave some): only new ones stop the write */
  known: ConfigIssue[] = [],
): void {
  // A file every later command would refuse to load is never written (unless it was already one).
  const issues = newIssues(checkConfig(config), known);
  if (issues.length > 0) {
    throw new CliError("usage", `config ${path}: not saved: ${issues.map(formatConfigIssue).join("; ")}`, {
      exitCode: EXIT.usage,
    });
  }
  if (isSeedFile(path)) {
    throw new CliError(
      "usage",
      `config ${path}: an image skill's config file, read as a provider but never rewritten by gptimg; gptimg login --import ${path} copies it into gptimg's own config`,
      { exitCode: EXIT.usage },
    );
  }
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!isWindows && isDefaultConfigPath(path, env)) tightenDir(dir, []);
  } catch (e) {
    throw new CliError("io", `config ${path}: cannot create ${dir}: ${(e as Error).message}`, { exitCode: EXIT.usage });
  }
  const tmp = join(dir, `.config.json.${randomHex(6)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o600);
    writeSync(fd, `${JSON.stringify(config, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (!isWindows) chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new CliError("io", `config ${path}: cannot write: ${(e as Error).message}`, { exitCode: EXIT.usage });
  }
}

/** Whether `path` holds an image skill's JSON config (which gptimg reads but never rewrites). */
function isSeedFile(path: string): boolean {
  try {
    return seedConfigFile(JSON.parse(readFileSync(path, "utf8")), path) !== undefined;
  } catch {
    return false;
  }
}
