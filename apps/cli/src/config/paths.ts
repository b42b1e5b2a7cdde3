import { join, resolve } from "node:path";

/**
 * `$XDG_CONFIG_HOME/gptimg/config.json`, falling back to `~/.config/gptimg/config.json`.
 * `node:os` is fetched only when `HOME` is unset or empty: a start that has it loads no `node:os`.
 */
export function defaultConfigPath(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg?.startsWith("/") ? xdg : join(env.HOME || process.getBuiltinModule("node:os").homedir(), ".config");
  return join(base, "gptimg", "config.json");
}

/** True when `path` is the default location, whose directory gptimg owns and keeps at 0700. */
export const isDefaultConfigPath = (path: string, env: Record<string, string | undefined>): boolean =>
  resolve(path) === resolve(defaultConfigPath(env));
