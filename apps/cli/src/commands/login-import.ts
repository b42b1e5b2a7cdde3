import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import type { Io } from "../cli/io.ts";
import { registerSecret } from "../cli/secrets.ts";
import { type ConfigFile, checkConfig, formatConfigIssue, isHttpUrl, type ProviderEntry } from "../config/schema.ts";
import { type Found, fromDotenv, fromJson } from "../config/seed-files.ts";
import { saveConfig } from "../config/store.ts";

/** Where the skills keep their settings: their own config files, and skill folders holding a `.env`. */
function skillFolders(env: Record<string, string | undefined>, cwd: string): string[] {
  const home = env.HOME || env.USERPROFILE || homedir();
  const codex = env.CODEX_HOME ? [join(env.CODEX_HOME, "skills")] : [];
  return [
    join(home, ".claude/skills"),
    ...codex,
    join(home, ".codex/skills"),
    join(home, ".openclaw/skills"),
    join(home, ".openclaw/workspace/skills"),
    join(home, ".cursor/skills"),
    join(home, ".agents/skills"),
    join(cwd, ".claude/skills"),
    join(cwd, ".agents/skills"),
  ];
}

/** The files `login --import` looks at when none is named. */
export function importCandidates(env: Record<string, string | undefined>, cwd: string): string[] {
  const home = env.HOME || env.USERPROFILE || homedir();
  const files = [
    join(home, ".config/gpt-image-2-generation/config.json"),
    join(home, ".config/gpt-image-2-apikey/config.json"),
  ];
  for (const dir of skillFolders(env, cwd)) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) files.push(join(dir, n, ".env"));
  }
  return [...new Set(files)].filter((f) => existsSync(f) && statSync(f).isFile());
}

/** A one-line description of what was found, without the key. */
function describe(f: Found, name: string): string {
  const e = f.entry;
  const parts = [
    `${e.profile}`,
    e.baseUrl ?? "its profile's URL",
    `key ***redacted*** (${e.apiKey?.length ?? 0} chars)`,
  ];
  if (e.model) parts.push(`model ${e.model}`);
  if (e.paths) parts.push(`paths ${Object.values(e.paths).join(", ")}`);
  if (e.defaults)
    parts.push(
      `defaults ${Object.entries(e.defaults)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  if (e.extraBody) parts.push(`extra body ${Object.keys(e.extraBody).join(", ")}`);
  return `provider ${name}: ${parts.join("; ")}`;
}

const sameEntry = (a: ProviderEntry, b: ProviderEntry): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * `gptimg login --import [FILE...]`: reads the skills' files, stores each as a provider (0600),
 * says what it found and never prints a key. A provider of the same name is kept unless it is
 * the same; then the import takes the next free name (`name-2`…).
 */
export async function importProviders(
  files: string[],
  io: Io,
  config: ConfigFile,
  configPath: string,
  makeDefault: boolean,
): Promise<number> {
  const candidates = files.length > 0 ? files.map((f) => resolve(io.cwd, f)) : importCandidates(io.env, io.cwd);
  const found: Found[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) throw new CliError("usage", `${file}: not found`, { exitCode: EXIT.usage });
    let f: Found | undefined;
    try {
      f = file.endsWith(".json") ? fromJson(file) : fromDotenv(file);
    } catch (e) {
      // a file found by looking around is skipped with the reason; one named by the user is an error
      if (files.length > 0 || !(e instanceof CliError)) throw e;
      io.err(`skipped ${e.message}`);
      continue;
    }
    if (!f) {
      io.err(`skipped ${file}: no image API key in it`);
      continue;
    }
    registerSecret(f.entry.apiKey);
    if (f.entry.baseUrl !== undefined && !isHttpUrl(f.entry.baseUrl)) {
      io.err(`skipped ${file}: base URL ${f.entry.baseUrl} is not an absolute http(s) URL`);
      continue;
    }
    found.push(f);
  }
  if (found.length === 0) {
    const looked =
      files.length > 0
        ? files.join(", ")
        : "~/.config/gpt-image-2-generation, ~/.config/gpt-image-2-apikey and skill folders' .env files";
    throw new CliError(
      "auth",
      `nothing to import: no image API key found in ${looked}; run gptimg login to enter one`,
      {
        exitCode: EXIT.auth,
      },
    );
  }
  const next = structuredClone(config);
  next.providers ??= {};
  const stored: string[] = [];
  for (const f of found) {
    let name = f.name;
    for (let i = 2; next.providers[name] && !sameEntry(next.providers[name]!, f.entry); i++) name = `${f.name}-${i}`;
    const unchanged = next.providers[name] !== undefined;
    next.providers[name] = f.entry;
    stored.push(name);
    io.err(`found ${f.file}: ${describe(f, name)}${unchanged ? " (already imported)" : ""}`);
    for (const s of f.skipped) io.err(`  not imported: ${s}`);
  }
  const problems = checkConfig(next);
  if (problems.length > 0) {
    throw new CliError("usage", `import: not saved: ${problems.map(formatConfigIssue).join("; ")}`, {
      exitCode: EXIT.usage,
    });
  }
  const previous = next.provider;
  if (previous === undefined || makeDefault) next.provider = stored[0];
  saveConfig(configPath, next, io.env);
  io.err(`saved ${stored.length} provider${stored.length > 1 ? "s" : ""} to ${configPath} (0600)`);
  if (next.provider === stored[0] && previous !== stored[0]) io.err(`default provider: ${stored[0]}`);
  else
    io.err(
      `default provider is still ${previous}; use another with --provider NAME, or gptimg config set provider NAME`,
    );
  return EXIT.ok;
}
