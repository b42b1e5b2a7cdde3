import { DEFAULT_MODEL, formatIssue, resolveSize, ValidationError } from "@gptimg/core";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const SOURCE_TEXT = {
  auto: "the model picks the size",
  preset: "a preset",
  alias: "an alias",
  ratio: "a ratio, resolved to a legal size of that shape with at most the area of 1536x1024",
  custom: "a custom size within the model's rules",
} as const;

/**
 * The resolve_size tool: what a size, alias or ratio becomes for a model, or why it is refused
 * and the nearest legal size. A refused size is an answer here, not a tool error.
 */
export function resolveSizeResult(input: { size: string; model?: string }): CallToolResult {
  const model = input.model ?? DEFAULT_MODEL;
  try {
    const r = resolveSize(input.size, model);
    const text =
      r.size === "auto"
        ? `${JSON.stringify(input.size)} is sent as auto for ${model}: ${SOURCE_TEXT.auto}`
        : `${JSON.stringify(input.size)} becomes ${r.size} for ${model} (${SOURCE_TEXT[r.source]})`;
    return {
      content: [{ type: "text", text }],
      structuredContent: {
        input: input.size,
        model,
        legal: true,
        size: r.size,
        ...(r.width !== undefined ? { width: r.width, height: r.height } : {}),
        source: r.source,
      },
    };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const nearest = e.issues.find((i) => i.suggestion)?.suggestion;
    const problems = e.issues.map(({ suggestion: _s, ...i }) => formatIssue(i));
    return {
      content: [
        {
          type: "text",
          text: `${JSON.stringify(input.size)} is refused for ${model}: ${problems.join("; ")}${nearest ? `; nearest legal: ${nearest}` : ""}`,
        },
      ],
      structuredContent: {
        input: input.size,
        model,
        legal: false,
        problems,
        ...(nearest ? { nearest } : {}),
      },
    };
  }
}
