/**
 * The Worker's switches for core's `skipModelRules` (the provider decides what gptimg's per-model
 * table would refuse): the `Gptimg-Skip-Model-Rules` request header, for one request, and the
 * `SKIP_MODEL_RULES` var, for a whole deployment (chat bots cannot send headers). The header,
 * when sent, wins.
 */
import type { Env } from "../env.ts";
import { ConfigError, HttpError } from "./errors.ts";
import { SKIP_MODEL_RULES_HEADER } from "./model-rule-override.ts";

const BOOLEAN_RULE = 'must be "true" or "false"';

/** Why `SKIP_MODEL_RULES` is unusable (it names the value: a var, never a secret), or undefined. */
export function skipModelRulesProblem(env: Pick<Env, "SKIP_MODEL_RULES">): string | undefined {
  const v = env.SKIP_MODEL_RULES;
  if (v === undefined || v === "" || v === "true" || v === "false") return undefined;
  return `SKIP_MODEL_RULES ${JSON.stringify(v)}: ${BOOLEAN_RULE} (unset means false)`;
}

/**
 * The deployment's switch: `SKIP_MODEL_RULES` as a boolean (unset or empty is false). A value
 * other than true/false is the operator's mistake, a `ConfigError` naming it (`/healthz` lists it).
 * @example
 * skipModelRulesVar({ SKIP_MODEL_RULES: "true" }) // true
 */
export function skipModelRulesVar(env: Pick<Env, "SKIP_MODEL_RULES">): boolean {
  const problem = skipModelRulesProblem(env);
  if (problem) throw new ConfigError(problem);
  return env.SKIP_MODEL_RULES === "true";
}

/**
 * Whether a request skips the model table: its `Gptimg-Skip-Model-Rules` header when sent, else
 * the `SKIP_MODEL_RULES` var. A header other than true/false is a 400 naming the header.
 * @example
 * skipModelRules(env, c.req.header(SKIP_MODEL_RULES_HEADER))
 */
export function skipModelRules(env: Pick<Env, "SKIP_MODEL_RULES">, header: string | undefined): boolean {
  if (header === undefined) return skipModelRulesVar(env);
  const v = header.trim();
  if (v === "true" || v === "false") return v === "true";
  throw new HttpError(400, "validation", `${SKIP_MODEL_RULES_HEADER} ${JSON.stringify(header)}: ${BOOLEAN_RULE}`, {
    param: SKIP_MODEL_RULES_HEADER,
  });
}

/** What every image request is parsed with: the model when it names none, and the table switch. */
export interface RequestDefaults {
  model: string;
  skipModelRules: boolean;
}

/**
 * The defaults of an HTTP image request, resolved once where it enters: `PROVIDER_MODEL`, and
 * its `Gptimg-Skip-Model-Rules` header or else `SKIP_MODEL_RULES`.
 * @example
 * parseGenerateBody(body, requestDefaults(c))
 */
export const requestDefaults = (c: {
  env: Pick<Env, "PROVIDER_MODEL" | "SKIP_MODEL_RULES">;
  req: { header(name: string): string | undefined };
}): RequestDefaults => ({
  model: c.env.PROVIDER_MODEL,
  skipModelRules: skipModelRules(c.env, c.req.header(SKIP_MODEL_RULES_HEADER)),
});
