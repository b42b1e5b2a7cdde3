/**
 * What every platform does after it has acked: check the member's quota, fetch any edit
 * inputs, create the job (its Workflow posts the result back through `deliverChat`), and
 * say "working on it" — or say clearly why not, in the same conversation.
 */
import { isValidationError } from "@gptimg/core";
import type { Env } from "../env.ts";
import { createJob } from "../jobs/create.ts";
import type { ChatDelivery } from "../jobs/types.ts";
import { releaseHold } from "../lib/quota.ts";
import { safeMessage } from "../lib/secrets.ts";
import type { ChatCommand } from "./command.ts";
import { attachJob, claimEvent } from "./dedupe.ts";
import { PlatformApiError } from "./http.ts";
import { type ChatInput, downloadInputs, InputsTooLargeError, MAX_CHAT_INPUT_BYTES } from "./inputs.ts";
import { logFailure } from "./log.ts";
import {
  inputsTooLargeText,
  invalidText,
  quotaText,
  START_FAILED_TEXT,
  unreadableInputText,
  workingText,
} from "./messages.ts";
import { ChatQuotaExceededError, holdImages, imagesLeft } from "./quota.ts";
import type { ChatMember } from "./teams.ts";

/** Everything a platform handler knows once a command is verified, allowed and deduplicated. */
export interface ChatJobStart {
  platform: string;
  eventId: string;
  member: ChatMember;
  command: ChatCommand;
  /** platform-specific reply target, stored with the job for `deliverChat` */
  target: unknown;
  /** origin of this Worker, for signed links */
  origin: string;
  /** the message's pictures, downloaded one at a time against one total budget (edits only) */
  inputs?: readonly ChatInput[];
  /** posts text in the conversation */
  reply: (text: string) => Promise<void>;
  /** false when the ack already said "working on it" (Slack slash commands) */
  announce?: boolean;
}

/** Outcome, for tests and logs. */
export type StartOutcome = { started: true; jobId: string; created: boolean } | { started: false; reason: string };

/**
 * Runs after the ack (inside `waitUntil`), so the ack never waits on D1 or the Workflow. First
 * claims the event id: a redelivery (or a concurrent duplicate) ends here without a job.
 * Never throws: every failure becomes a chat reply.
 * @example c.executionCtx.waitUntil(startChatJob(c.env, start))
 */
export const startChatJob = async (env: Env, s: ChatJobStart): Promise<StartOutcome> => {
  const say = (text: string) => s.reply(text).catch((e: unknown) => logFailure(env, `${s.platform} reply`, e));
  try {
    if (!(await claimEvent(env.DB, s.platform, s.eventId))) return { started: false, reason: "duplicate" };
    const n = s.command.options.n ?? 1;
    const edit = s.command.kind === "edit" && s.inputs;
    // an edit looks first, so a member already over quota costs no downloads; the hold decides
    // (a generation downloads nothing: the hold alone saves a D1 round trip)
    if (edit) {
      const left = await imagesLeft(env.DB, s.member);
      if (left !== null && n > left) throw new ChatQuotaExceededError();
    }
    const inputs = edit ? await downloadInputs(edit) : undefined;
    const delivery: ChatDelivery = { kind: "chat", platform: s.platform, target: s.target };
    let hold: string | null = null;
    let started: Awaited<ReturnType<typeof createJob>>;
    try {
      started = await createJob(env, {
        member: { tokenId: null, team: s.member.team, member: s.member.member },
        kind: s.command.kind,
        request: {
          prompt: s.command.prompt,
          ...(s.member.model ? { model: s.member.model } : {}),
          ...s.command.options,
        },
        ...(inputs ? { inputs } : {}),
        idempotencyKey: `chat:${s.platform}:${s.eventId}`,
        delivery,
        origin: env.PUBLIC_BASE_URL ?? s.origin,
        admit: async () => {
          hold = await holdImages(env.DB, s.member, n);
        },
      });
    } finally {
      // the job row now counts by itself (or there is none): the hold has done its work
      if (hold !== null)
        await releaseHold(env.DB, hold).catch((e: unknown) => logFailure(env, "quota hold release", e));
    }
    const { job, created } = started;
    await attachJob(env.DB, s.platform, s.eventId, job.id);
    if (created && s.announce !== false) await say(workingText(s.command.kind, s.command.prompt));
    return { started: true, jobId: job.id, created };
  } catch (e) {
    if (e instanceof ChatQuotaExceededError) {
      await say(quotaText(s.member.dailyImageQuota ?? 0));
      return { started: false, reason: "quota_exceeded" };
    }
    if (isValidationError(e)) {
      await say(invalidText(e.issues));
      return { started: false, reason: "validation" };
    }
    if (e instanceof InputsTooLargeError) {
      await say(inputsTooLargeText(MAX_CHAT_INPUT_BYTES));
      return { started: false, reason: "inputs_too_large" };
    }
    if (e instanceof PlatformApiError && !e.retryable) {
      // the detail may quote a platform's answer, which may quote a credential
      await say(unreadableInputText(safeMessage(env, e.detail)));
      return { started: false, reason: "input" };
    }
    logFailure(env, `${s.platform} job start`, e);
    await say(START_FAILED_TEXT);
    return { started: false, reason: "error" };
  }
};
