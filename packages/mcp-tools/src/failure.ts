import { MODEL_RULE_OVERRIDE } from "@gptimg/core";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Surface } from "./schema.ts";

/** What ends a refusal by gptimg's model table in a tool result: the argument that skips it. */
export const TOOL_RULE_OVERRIDE = "gptimg's model table; skip_model_rules: true lets the provider decide";

/**
 * A message with core's words for overriding its model table (its option name) replaced by the
 * tools' argument, `skip_model_rules`.
 * @example
 * toolWords("size 2048x2048: … (gptimg's model table; skipModelRules lets the provider decide)")
 */
export const toolWords = (message: string): string => message.replaceAll(MODEL_RULE_OVERRIDE, TOOL_RULE_OVERRIDE);

/** A failed call as a backend describes it (message already free of secrets). */
export interface ToolFailure {
  /** a stable code: core's (`validation`, `auth`, `content_policy`, …) or `usage`, `io`, `not_found`, … */
  code: string;
  message: string;
  possiblyBilled: boolean;
  status?: number | null;
  requestId?: string | null;
  /** a Worker job that exists (it may still finish: get_job) */
  jobId?: string | null;
}

/** What to do next, per code; `local`/`remote` where the remedy differs. */
const NEXT: Record<string, string | Record<Surface, string>> = {
  validation: "fix the named field and call again (resolve_size checks a size first)",
  usage: "fix the named argument and call again",
  io: "choose another out path, set overwrite: true, or free the disk, then call again",
  // an `io` failure reading an input (images[0], mask), not writing the output
  input:
    "check the named image or mask: a path must name a readable image file on the machine the server runs on, a URL one that answers; then call again",
  auth: {
    local: "no usable key: the user runs `gptimg login` (or sets GPTIMG_API_KEY) once; the next call picks it up",
    remote: "the member token is missing or refused: ask the team admin for a valid token",
  },
  permission: "this key or token may not use that model or endpoint: pick another model or ask for access",
  not_found: "check the id or the model name (get_job takes the job_id a generate or edit call returned)",
  content_policy: "the provider refused the prompt or image: tell the user and rephrase; do not retry unchanged",
  rate_limited: "wait a minute before calling again",
  insufficient_quota: {
    local: "the provider account is out of quota or credit: tell the user to check its plan and billing; do not retry",
    remote: "the team's provider account is out of quota or credit: tell the user to ask the admin; do not retry",
  },
  quota_exceeded: "the daily image quota is used up: tell the user (it resets at 00:00 UTC) or ask the admin",
  provider_error: "the provider failed: retry once later, then tell the user",
  bad_response: "the provider's answer was unusable: retry once, then tell the user",
  timeout: "the provider took too long: retry later, perhaps with a smaller size or lower quality",
  network: {
    local: "the provider or Worker could not be reached: check the network, the base URL or the endpoint",
    remote: "the provider could not be reached from the Worker: retry later",
  },
  outcome_unknown:
    "do not retry blindly: the request may have been made and billed; with a job_id call get_job, else tell the user",
  idempotency_conflict: "this request reused an id for different input: call again without it",
  aborted: "the call was cancelled",
  internal: "an unexpected failure: retry once, then report it",
};

/** A message about an edit input (`image[0] …`, `images[1] …`, `mask …`) rather than the output. */
const INPUT_MESSAGE = /^(images?\[\d+\]|mask)[ :]/;

/** The next step for a failure code (`message` tells an unreadable input from an unwritable output). */
export function nextStep(code: string, surface: Surface, message = ""): string {
  const key = code === "io" && INPUT_MESSAGE.test(message) ? "input" : code;
  const next = NEXT[key] ?? NEXT.internal!;
  return typeof next === "string" ? next : next[surface];
}

/**
 * A failed tool call as MCP wants it: an `isError` result (never a protocol error) whose text
 * starts with the stable code, then what to do next, the job to follow and the billing note. A
 * refusal by gptimg's model table names `skip_model_rules` ({@link toolWords}).
 */
export function errorResult(f: ToolFailure, surface: Surface): CallToolResult {
  const lines = [`error ${f.code}: ${toolWords(f.message)}`];
  const detail = [
    typeof f.status === "number" ? `HTTP ${f.status}` : undefined,
    f.requestId ? `request ${f.requestId}` : undefined,
  ].filter(Boolean);
  if (detail.length) lines.push(`(${detail.join(", ")})`);
  if (f.jobId) lines.push(`job: ${f.jobId} (get_job follows it)`);
  if (f.possiblyBilled) lines.push("possibly billed: the request reached the provider and may have been charged");
  lines.push(`next: ${nextStep(f.code, surface, f.message)}`);
  return { isError: true, content: [{ type: "text", text: lines.join("\n") }] };
}
