import { MODEL_RULE_OVERRIDE } from "@gptimg/core";
import { TOOL_RULE_OVERRIDE } from "@gptimg/mcp-tools";

/**
 * The request header that sets core's `skipModelRules` for one request (`true` or `false`); any
 * OpenAI SDK sends it with `defaultHeaders` / `extra_headers`. See `model-rules.ts`.
 */
export const SKIP_MODEL_RULES_HEADER = "Gptimg-Skip-Model-Rules";

/** What a client of each surface can do to skip the table: core names its option, the Worker its switches. */
const OVERRIDE: Readonly<Record<"http" | "chat" | "mcp", string>> = {
  http: `gptimg's model table; send \`${SKIP_MODEL_RULES_HEADER}: true\`, or set SKIP_MODEL_RULES, to let the provider decide`,
  chat: "gptimg's model table; the Worker's SKIP_MODEL_RULES var lets the provider decide",
  mcp: TOOL_RULE_OVERRIDE,
};

/**
 * A refusal's text as the Worker shows it: core's words for overriding its model table
 * (`MODEL_RULE_OVERRIDE`, its option name) become the switches the caller has on this surface.
 * @example
 * overrideWords(err.message, "http")
 */
export const overrideWords = (text: string, surface: keyof typeof OVERRIDE): string =>
  text.replaceAll(MODEL_RULE_OVERRIDE, OVERRIDE[surface]);
