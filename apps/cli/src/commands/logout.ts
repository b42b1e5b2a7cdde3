import { EXIT } from "../cli/exit-codes.ts";
import { flag, parseCommandArgs, str } from "../cli/parse.ts";
import { loadSources } from "../config/settings.ts";
import { saveConfig } from "../config/store.ts";
import type { CommandRun } from "./types.ts";

/**
 * `gptimg logout`: removes the default provider's stored key; `--provider NAME` that one's;
 * `--endpoint` the stored Worker endpoint and token; `--all` every key and token.
 */
export const run: CommandRun = async (args, io, spec) => {
  const { values } = parseCommandArgs(spec, args);
  const sources = await loadSources(values, io);
  const config = structuredClone(sources.file.config);
  const removed: string[] = [];
  const dropKey = (name: string): void => {
    const p = config.providers?.[name];
    if (p?.apiKey !== undefined) {
      delete p.apiKey;
      removed.push(`key of provider ${name}`);
    }
  };
  const all = flag(values, "all");
  if (all || values.endpoint !== undefined) {
    if (config.endpoint) {
      delete config.endpoint;
      removed.push("Worker endpoint and team token");
    }
  }
  if (all) for (const name of Object.keys(config.providers ?? {})) dropKey(name);
  else if (values.endpoint === undefined) dropKey(str(values, "provider") ?? config.provider ?? "default");
  if (removed.length === 0) {
    io.err("nothing stored to remove");
    return EXIT.ok;
  }
  saveConfig(sources.file.path, config, io.env);
  io.err(`removed ${removed.join(", ")} from ${sources.file.path}`);
  return EXIT.ok;
};
