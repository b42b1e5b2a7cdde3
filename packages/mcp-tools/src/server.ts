import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type ProgressToken,
} from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker-provider.js";
import { checkArgs } from "./args.ts";
import { errorResult, type ToolFailure } from "./failure.ts";
import { resolveSizeResult } from "./resolve-size.ts";
import { DEFAULT_RESULT_CAP, type ImageOutcome, imageResult } from "./result.ts";
import {
  editInputSchema,
  generateInputSchema,
  getJobInputSchema,
  resolveSizeInputSchema,
  type Surface,
} from "./schema.ts";
import { type GetJobArgs, type ImageArgs, type ToolName, toolList } from "./tools.ts";

/** What a tool call may touch besides its arguments. */
export interface ToolContext {
  /** aborted when the client cancels the call (or goes away) */
  signal: AbortSignal;
  /** one progress step; a no-op unless the client sent a progress token */
  progress(message: string): void;
}

/**
 * Where the work happens: `gptimg mcp` runs it with the CLI's settings and files, the Worker
 * with its jobs. The server around it (schemas, argument checks, results, errors, progress,
 * cancellation) is the same.
 */
export interface ToolBackend {
  surface: Surface;
  generate(args: ImageArgs, ctx: ToolContext): Promise<ImageOutcome>;
  edit(args: ImageArgs, ctx: ToolContext): Promise<ImageOutcome>;
  getJob(args: GetJobArgs, ctx: ToolContext): Promise<ImageOutcome>;
  /** anything thrown, as a failure whose message holds no secret */
  describe(e: unknown): ToolFailure;
}

export interface ToolServerOptions {
  name: string;
  version: string;
  /** the largest serialized result in bytes (default 1 MiB) */
  resultCap?: number;
  /** called when a cancelled call may have been billed (after the client stopped listening) */
  onCancelled?: (tool: ToolName, failure: ToolFailure) => void;
}

const INSTRUCTIONS =
  "gptimg makes and edits images. Check a size with resolve_size before a large or odd one. " +
  "generate_image and edit_image answer with one resource_link per image and structured data " +
  "(paths or signed URLs, sizes, usage, cost). Failures are isError results whose first line " +
  "is `error <code>: …` and whose last line says what to do next; `possibly billed` means do " +
  "not retry blindly.";

/**
 * An MCP server with the gptimg tools over `backend`. Connect it to a transport
 * (`StdioServerTransport`, `WebStandardStreamableHTTPServerTransport`).
 * @example
 * const server = createToolServer(backend, { name: "gptimg", version });
 * await server.connect(new StdioServerTransport());
 */
export function createToolServer(backend: ToolBackend, opts: ToolServerOptions): Server {
  const server = new Server(
    { name: opts.name, version: opts.version, title: "gptimg" },
    {
      capabilities: { tools: {}, logging: {} },
      instructions: INSTRUCTIONS,
      // no Ajv: it compiles validators with `new Function`, which Workers forbid
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    },
  );
  const surface = backend.surface;
  const tools = toolList(surface);
  const cap = opts.resultCap ?? DEFAULT_RESULT_CAP;

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name as ToolName;
    const token: ProgressToken | undefined = request.params._meta?.progressToken;
    let step = 0;
    const ctx: ToolContext = {
      signal: extra.signal,
      progress(message) {
        if (token === undefined || extra.signal.aborted) return;
        step += 1;
        extra
          .sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: step, message },
          })
          .catch(() => undefined);
      },
    };
    const args = request.params.arguments;
    try {
      switch (name) {
        case "generate_image":
          return await imageResult(
            await backend.generate(checkArgs<ImageArgs>(generateInputSchema(surface), args), ctx),
            cap,
          );
        case "edit_image":
          return await imageResult(await backend.edit(checkArgs<ImageArgs>(editInputSchema(surface), args), ctx), cap);
        case "get_job":
          return await imageResult(
            await backend.getJob(checkArgs<GetJobArgs>(getJobInputSchema(surface), args), ctx),
            cap,
          );
        case "resolve_size":
          return resolveSizeResult(checkArgs<{ size: string; model?: string }>(resolveSizeInputSchema, args));
        default:
          return errorResult(
            {
              code: "usage",
              message: `tool ${JSON.stringify(request.params.name)}: no such tool (${tools.map((t) => t.name).join(", ")})`,
              possiblyBilled: false,
            },
            surface,
          );
      }
    } catch (e) {
      const failure = backend.describe(e);
      if (extra.signal.aborted) {
        // the client no longer waits for this answer: tell it through a log message instead
        opts.onCancelled?.(name, failure);
        if (failure.possiblyBilled || failure.jobId) {
          await server
            .sendLoggingMessage({
              level: "warning",
              logger: "gptimg",
              data: {
                event: "cancelled",
                tool: name,
                possibly_billed: failure.possiblyBilled,
                ...(failure.jobId ? { job_id: failure.jobId } : {}),
                message: `${name} was cancelled after the request reached the provider: it may have been billed${failure.jobId ? `; job ${failure.jobId} may still finish (get_job)` : ""}`,
              },
            })
            .catch(() => undefined);
        }
      }
      return errorResult(failure, surface);
    }
  });
  return server;
}
