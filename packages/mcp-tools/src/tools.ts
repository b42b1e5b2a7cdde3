import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  editInputSchema,
  generateInputSchema,
  getJobInputSchema,
  imageResultSchema,
  type JsonSchema,
  resolveSizeInputSchema,
  resolveSizeResultSchema,
  type Surface,
} from "./schema.ts";

/** The tool names, the same on `gptimg mcp` and on the Worker's `/mcp`. */
export type ToolName = "generate_image" | "edit_image" | "resolve_size" | "get_job";

/** Arguments of generate_image (and the shared part of edit_image), wire-named. */
export interface ImageArgs {
  prompt: string;
  model?: string;
  n?: number;
  size?: string;
  quality?: string;
  output_format?: string;
  output_compression?: number;
  background?: string;
  moderation?: string;
  style?: string;
  stream?: boolean;
  partial_images?: number;
  user?: string;
  extra_body?: Record<string, unknown>;
  input_fidelity?: string;
  /** the provider decides what gptimg's model table would refuse */
  skip_model_rules?: boolean;
  /** edit_image: paths or https URLs */
  images?: string[];
  /** edit_image: a path, an https URL or "auto" */
  mask?: string;
  /** local: output file or directory */
  out?: string;
  /** local: replace an existing file */
  overwrite?: boolean;
  /** remote: seconds to wait before answering with the job id */
  wait_seconds?: number;
}

export interface GetJobArgs {
  id: string;
  out?: string;
  overwrite?: boolean;
  wait_seconds?: number;
}

const asInput = (s: JsonSchema) => s as Tool["inputSchema"];
const asOutput = (s: JsonSchema) => s as NonNullable<Tool["outputSchema"]>;

/**
 * The four tools as `tools/list` shows them on a surface. Descriptions say where files go and
 * what the result holds, so an agent knows before it calls.
 */
export function toolList(surface: Surface): Tool[] {
  const delivery =
    surface === "local"
      ? "Saves each image to a file on this machine and answers with its absolute path (a file:// resource_link)"
      : "Stores each image on the team gateway and answers with a signed, expiring https URL (a resource_link)";
  const preview = "plus an inline preview while the whole result stays under the server's size cap";
  const imageOut = asOutput(imageResultSchema);
  const writes = surface === "local";
  return [
    {
      name: "generate_image",
      title: "Generate images",
      description: `Make 1-10 images from a text prompt with gpt-image-2 or the configured model. ${delivery}, ${preview}. Also reports usage, estimated cost, provider and request id.${surface === "remote" ? " A generation that outlasts wait_seconds answers with its job_id: call get_job." : ""}`,
      inputSchema: asInput(generateInputSchema(surface)),
      outputSchema: imageOut,
      annotations: { title: "Generate images", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    {
      name: "edit_image",
      title: "Edit images",
      description: `Edit or combine 1-16 input images with a prompt, optionally inside a mask ("auto" edits anywhere). ${delivery}, ${preview}.`,
      inputSchema: asInput(editInputSchema(surface)),
      outputSchema: imageOut,
      annotations: { title: "Edit images", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    {
      name: "resolve_size",
      title: "Resolve an image size",
      description:
        "Tell what a size, alias (square, 4k…) or ratio (16:9) becomes for a model, or why it is refused and the nearest legal size. Sends nothing; free.",
      inputSchema: asInput(resolveSizeInputSchema),
      outputSchema: asOutput(resolveSizeResultSchema),
      annotations: { title: "Resolve an image size", readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    {
      name: "get_job",
      title: "Get a gateway job",
      description:
        `Wait for a team gateway job (the job_id of an earlier call) and return its images like generate_image. ${surface === "local" ? "Needs the Worker route (gptimg login --endpoint)." : ""}`.trim(),
      inputSchema: asInput(getJobInputSchema(surface)),
      outputSchema: imageOut,
      annotations: { title: "Get a gateway job", readOnlyHint: !writes, idempotentHint: true, openWorldHint: true },
    },
  ];
}
