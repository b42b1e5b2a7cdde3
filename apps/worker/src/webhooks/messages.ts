/** Everything the bot says in a chat, in one place so every platform says the same thing. */
import { formatIssue, issueLines, type ValidationIssue } from "@gptimg/core";
import { overrideWords } from "../lib/model-rule-override.ts";
import type { CommandKind } from "./command.ts";

/** Posted while the provider works (60-180 s is normal upstream). */
export const workingText = (kind: CommandKind, prompt: string): string =>
  `${kind === "edit" ? "Editing" : "Generating"} your image: “${clip(prompt, 200)}”. This usually takes one to three minutes.`;

/**
 * A command that failed validation: names field, value and rule; no job was started. A refusal
 * by gptimg's model table names the one switch a chat has, the Worker's SKIP_MODEL_RULES.
 */
export const invalidText = (issues: readonly ValidationIssue[]): string =>
  `I can't start that image:\n${issueLines(issues, (i) => `• ${overrideWords(formatIssue(i), "chat")}`).join("\n")}\nExample: best image: a lighthouse at dusk size=16:9 quality=high`;

/** A workspace, guild or chat that is not in CHAT_TEAMS. */
export const NOT_ALLOWED_TEXT =
  "Sorry, this workspace or chat isn't set up to use the image bot. Ask your gptimg admin to add it to CHAT_TEAMS.";

/** Sent for a message to the bot that holds no command. */
export const HELP_TEXT =
  "Send “/image <prompt>” or “best image: <prompt>” (高质量生图：…) to make an image, or a picture with the caption “edit image: <what to change>” (编辑图片：…). Options: size=16:9 quality=high n=2 format=webp";

/** The daily image quota of the mapped member is used up. */
export const quotaText = (quota: number): string =>
  `Your daily quota of ${quota} image${quota === 1 ? "" : "s"} is used up. It resets at 00:00 UTC.`;

/** A job that failed, by core's stable error code. */
export const failureText = (error: { code: string; message: string } | null): string => {
  const code = error?.code ?? "provider_error";
  switch (code) {
    case "content_policy":
      return "The image provider refused this prompt under its content policy. Try rephrasing it.";
    case "rate_limited":
      return "The image provider is rate limiting us right now. Please try again in a minute.";
    case "quota_exceeded":
      return "Your image quota is used up. It resets at 00:00 UTC.";
    case "insufficient_quota":
      return "The image provider's account is out of credit (its quota or billing). Ask your gptimg admin to check it: trying again won't help until then.";
    case "validation":
      return `The request was not valid: ${clip(error?.message ?? "", 300)}`;
    case "outcome_unknown":
      return "The image provider stopped answering mid-request; the image may or may not have been made (and billed). Please try again.";
    case "timeout":
    case "network":
    case "provider_error":
    case "bad_response":
      return "The image provider is having trouble right now. Please try again in a few minutes.";
    default:
      return `The image could not be made (${code}).`;
  }
};

/** The pictures of an edit add up to more than the total an edit takes; no job was started. */
export const inputsTooLargeText = (limitBytes: number): string =>
  `The attached images add up to more than ${Math.round(limitBytes / 1_048_576)} MB, the most one edit takes in total. Send fewer or smaller pictures.`;

/** An attached picture could not be fetched from the platform; `detail` is already redacted. */
export const unreadableInputText = (detail: string): string => `I couldn't read the attached image: ${detail}`;

/** The job could not be started for a reason of ours, not the provider's. */
export const START_FAILED_TEXT = "Something went wrong starting your image. Please try again in a moment.";

/** Caption on a delivered image. */
export const doneText = (prompt: string, count: number): string =>
  count > 1 ? `Here are your ${count} images: “${clip(prompt, 200)}”` : `Here is your image: “${clip(prompt, 200)}”`;

/** Line for an image too large to upload to the platform, sent as a signed link instead. */
export const linkText = (url: string, bytes: number, ttlNote: string): string =>
  `${url} (${(bytes / 1_048_576).toFixed(1)} MB, too large to upload here; the link ${ttlNote})`;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
