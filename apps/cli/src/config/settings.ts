import { join, resolve } from "node:path";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import type { FlagValues } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { str } from "../cli/parse.ts";
import { registerSecret } from "../cli/secrets.ts";
import { fsReason } from "../files/fs-reason.ts";
import { parseDotenv } from "./dotenv.ts";
import { defaultConfigPath } from "./paths.ts";
import { present } from "./present.ts";
import type { LoadedConfig, LoadOptions } from "./store.ts";

/**
 * The four layers settings come from, highest first: flags, the process environment, `.env`
 * in the working directory, the config file.
 */
export interface Sources {
  flags: FlagValues;
  env: Record<string, string | undefined>;
  dotenv: Record<string, string>;
  file: LoadedConfig;
}

/** A value and where it came from ("--api-key", "GPTIMG_API_KEY (environment)", …). */
export interface Sourced {
  value: string;
  source: string;
}

/**
 * Reads `.env` (when present) and the config file that the layers above it select. `node:fs`
 * (and the config reader, config/store.ts) load only when there is a file to read.
 */
export async function loadSources(flags: FlagValues, io: Io, opts: LoadOptions = {}): Promise<Sources> {
  const dotenv = await readDotenv(io.cwd);
  const configFlag = str(flags, "config");
  // never from .env: a file in the working directory must not choose which file holds the keys
  const path = resolve(io.cwd, configFlag ?? io.env.GPTIMG_CONFIG ?? defaultConfigPath(io.env));
  const file: LoadedConfig = (await present(path))
    ? (await import("./store.ts")).loadConfig(path, io.env, opts)
    : { path, exists: false, config: {}, mode: undefined, notes: [] };
  for (const note of file.notes) io.err(`note: ${note}`);
  return { flags, env: io.env, dotenv, file };
}

async function readDotenv(cwd: string): Promise<Record<string, string>> {
  const path = join(cwd, ".env");
  if (!(await present(path))) return {};
  try {
    return parseDotenv(process.getBuiltinModule("node:fs").readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError("io", `.env ${path}: cannot read: ${fsReason(e)}`, { exitCode: EXIT.usage });
  }
}

/** flag > environment > .env for one setting; the config layer is handled by the caller. */
export function pick(s: Sources, flag: keyof FlagValues | undefined, variable: string): Sourced | undefined {
  const f = flag ? str(s.flags, flag) : undefined;
  if (f !== undefined && f !== "") return { value: f, source: `--${flag}` };
  const e = s.env[variable];
  if (e !== undefined && e !== "") return { value: e, source: `${variable} (environment)` };
  const d = s.dotenv[variable];
  if (d !== undefined && d !== "") return { value: d, source: `${variable} (.env)` };
  return undefined;
}

/** A variable from the environment, then `.env` (for keyEnv and provider-specific keys). */
export function variable(s: Sources, name: string): Sourced | undefined {
  return pick(s, undefined, name);
}

/** Which route a command takes: the highest layer that names one decides. */
export function chooseRoute(s: Sources): "worker" | "direct" {
  const has = (v: string | undefined): boolean => v !== undefined && v !== "";
  if (has(str(s.flags, "endpoint"))) return "worker";
  if (has(str(s.flags, "api-key")) || has(str(s.flags, "base-url")) || has(str(s.flags, "provider"))) return "direct";
  for (const layer of [s.env, s.dotenv]) {
    if (has(layer.GPTIMG_ENDPOINT)) return "worker";
    if (has(layer.GPTIMG_API_KEY) || has(layer.GPTIMG_BASE_URL) || has(layer.GPTIMG_PROVIDER)) return "direct";
  }
  return has(s.file.config.endpoint?.url) ? "worker" : "direct";
}

/** The Worker route's endpoint and team token. */
export interface WorkerSettings {
  endpoint: string;
  token: string | undefined;
  tokenSource: string | undefined;
}

/** Resolves `--endpoint` / `--token` through the layers; the token is registered as a secret. */
export function workerSettings(s: Sources): WorkerSettings {
  const ep = pick(s, "endpoint", "GPTIMG_ENDPOINT")?.value ?? s.file.config.endpoint?.url;
  if (!ep)
    throw new CliError(
      "usage",
      "no Worker endpoint: pass --endpoint URL, set GPTIMG_ENDPOINT, or run gptimg login --endpoint URL",
      { exitCode: EXIT.usage },
    );
  const url = parseEndpoint(ep, "endpoint");
  const t = pick(s, "token", "GPTIMG_TOKEN");
  const named = pick(s, "endpoint", "GPTIMG_ENDPOINT");
  // a team token from the environment never goes to an endpoint only a ./.env names
  if (named?.source.endsWith("(.env)") && t?.source.endsWith("(environment)")) {
    const why = `GPTIMG_ENDPOINT in ./.env names ${url.origin}; the team token in GPTIMG_TOKEN (environment) is not sent to an endpoint only a .env names: put the token in that .env too, pass --token, or remove GPTIMG_ENDPOINT from ./.env`;
    throw new CliError("auth", why, { exitCode: EXIT.auth });
  }
  // the stored token belongs to the stored endpoint: it never travels to one another layer names
  const home = s.file.config.endpoint?.url;
  const stored = home !== undefined && sameUrl(home, url.href) ? s.file.config.endpoint?.token : undefined;
  const token = t?.value ?? stored;
  registerSecret(token);
  return {
    endpoint: canonicalUrl(url.href),
    token,
    tokenSource: t?.source ?? (stored ? `config ${s.file.path}` : undefined),
  };
}

/**
 * A base URL or Worker endpoint as gptimg stores and compares it: parsed (the scheme and host in
 * lower case, a default port dropped, `.` and `..` resolved), without trailing slashes or an
 * empty `?` or `#`, which name nothing. Credentials, a query and a fragment stay, so a URL with
 * them is never taken for one without (core refuses them in a base URL, naming them).
 * Throws on a string that is not a URL.
 * @example
 * canonicalUrl("HTTPS://API.openai.com:443/v1/?") // "https://api.openai.com/v1"
 */
export function canonicalUrl(url: string): string {
  const u = new URL(url.trim());
  const auth = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ""}@` : "";
  return `${u.protocol}//${auth}${u.host}${u.pathname.replace(/\/+$/, "")}${u.search}${u.hash}`;
}

/** Whether two base URLs name the same place: the same {@link canonicalUrl}. */
export function sameUrl(a: string, b: string): boolean {
  const canon = (u: string) => {
    try {
      return canonicalUrl(u);
    } catch {
      return u.trim().replace(/\/+$/, "");
    }
  };
  return canon(a) === canon(b);
}

/**
 * A Worker endpoint as given (flag, variable, config): an absolute http(s) URL without
 * credentials or a query, which would otherwise travel in every message that names it.
 * @example
 * parseEndpoint("https://img.example.com/", "--endpoint").href // "https://img.example.com/"
 */
export function parseEndpoint(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError("usage", `${what} ${value}: must be an absolute http(s) URL`, { exitCode: EXIT.usage });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError("usage", `${what} ${value}: must use http or https`, { exitCode: EXIT.usage });
  }
  if (url.username || url.password || url.search) {
    throw new CliError("usage", `${what}: must not contain credentials or a query`, { exitCode: EXIT.usage });
  }
  return url;
}
