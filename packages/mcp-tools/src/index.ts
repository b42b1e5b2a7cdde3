/**
 * @gptimg/mcp-tools: the gptimg MCP tools (generate_image, edit_image, resolve_size, get_job),
 * defined once for `gptimg mcp` (stdio) and the Worker's `/mcp` (Streamable HTTP). A backend
 * does the work; this package owns the schemas, argument checks, results and errors.
 */
export { checkArgs } from "./args.ts";
export { errorResult, nextStep, TOOL_RULE_OVERRIDE, type ToolFailure, toolWords } from "./failure.ts";
export { resolveSizeResult } from "./resolve-size.ts";
export {
  DEFAULT_RESULT_CAP,
  fileUri,
  type ImageOutcome,
  imageResult,
  MIN_RESULT_CAP,
  type OutcomeImage,
  type OutcomeUsage,
  type StructuredImageResult,
} from "./result.ts";
export { imageOptionSchemas, type JsonSchema, type Surface } from "./schema.ts";
export { createToolServer, type ToolBackend, type ToolContext, type ToolServerOptions } from "./server.ts";
export { type GetJobArgs, type ImageArgs, type ToolName, toolList } from "./tools.ts";
