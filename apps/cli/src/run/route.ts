import { isValidationError, type ResolvedProvider, resolveProvider, ValidationError } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { type DirectSettings, directSettings } from "../config/provider-settings.ts";
import { chooseRoute, pick, type Sources, type WorkerSettings, workerSettings } from "../config/settings.ts";

/**
 * Where a generate or edit goes, resolved once: straight to a provider (with its primary
 * resolved by core) or through a team Worker. Code past this point switches on `kind` and never
 * asks whether an optional half is there.
 */
export type Route =
  | {
      kind: "direct";
      settings: DirectSettings;
      primary: ResolvedProvider;
      /** the model the primary will be asked for (a fixed model wins) */
      model: string;
    }
  | {
      kind: "worker";
      settings: WorkerSettings;
      /** the model asked for; undefined: the Worker's default */
      model: string | undefined;
    };

/** Resolves the route from flags, environment, ./.env and the config file. */
export function resolveRoute(sources: Sources): Route {
  if (chooseRoute(sources) === "worker") {
    return { kind: "worker", settings: workerSettings(sources), model: pick(sources, "model", "GPTIMG_MODEL")?.value };
  }
  const settings = directSettings(sources);
  const primary = resolvePrimary(settings);
  const model = primary.fixedModel ? primary.model : (settings.model ?? primary.model);
  return { kind: "direct", settings, primary, model };
}

/**
 * The direct route's primary provider, resolved by core. A bad base URL is named where the user
 * typed it (`--base-url`, `GPTIMG_BASE_URL (.env)`) rather than by core's field, `baseUrl`.
 */
export function resolvePrimary(settings: DirectSettings): ResolvedProvider {
  const [first] = settings.providers;
  if (!first) throw new CliError("auth", "no provider is configured: run gptimg login", { exitCode: EXIT.auth });
  try {
    return resolveProvider(first);
  } catch (e) {
    const typed = settings.baseSource;
    if (!isValidationError(e) || typed === undefined || typed.startsWith("config ")) throw e;
    throw new ValidationError(e.issues.map((i) => (i.field === "baseUrl" ? { ...i, field: typed } : i)));
  }
}

/** The Worker route's token, or the error saying how to get one. */
export function workerToken(settings: WorkerSettings): string {
  if (settings.token) return settings.token;
  throw new CliError(
    "auth",
    `no team token for ${settings.endpoint}: run gptimg login --endpoint ${settings.endpoint}, set GPTIMG_TOKEN, or pass --token`,
    { exitCode: EXIT.auth },
  );
}
