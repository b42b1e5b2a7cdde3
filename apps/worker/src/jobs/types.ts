import type { EditOptions, GenerateOptions, ImageFormat, ImageUsage } from "@gptimg/core";

/** Job states, in the order a job moves through them. */
export type JobStatus = "queued" | "running" | "succeeded" | "failed";
export type JobKind = "generate" | "edit";

/** Core options as stored with a job: no bytes, no signal, no streaming. */
export type JobRequest = Omit<GenerateOptions, "signal" | "stream" | "partialImages"> &
  Pick<Partial<EditOptions>, "inputFidelity">;

/** Who asked for a job. */
export interface JobOwner {
  tokenId: string | null;
  team: string;
  member: string;
}

/** Where a finished job is posted in a chat platform (a name in webhooks/platforms.ts; the target is that platform's). */
export interface ChatDelivery {
  kind: "chat";
  platform: string;
  target: unknown;
}

import type { StoredImage } from "../lib/storage.ts";

/** Error of a failed job, as returned by the API. */
export interface JobError {
  code: string;
  message: string;
  status: number | null;
  request_id: string | null;
  possibly_billed: boolean;
}

/** One row of `jobs`, as D1 returns it. */
export interface JobRow {
  id: string;
  team: string;
  member: string;
  token_id: string | null;
  kind: JobKind;
  status: JobStatus;
  model: string;
  request_json: string;
  input_keys: string | null;
  image_keys: string | null;
  usage: string | null;
  cost: number | null;
  error: string | null;
  provider: string | null;
  request_id: string | null;
  /**
   * The size the request asked for, resolved for `model` (`WxH`, or `auto`); null when it asked
   * for none. Written with the row, so a failed job has it too; when a fallback provider with
   * another model answers, its size for that model (what was sent), as `model` then names it.
   */
  requested_size: string | null;
  /** 1 when an image's real dimensions differ from `requested_size` */
  size_mismatch: number;
  idempotency_key: string | null;
  body_hash: string | null;
  callback_url: string | null;
  delivery: string | null;
  created_at: number;
  completed_at: number | null;
  origin: string | null;
  attempts: number;
  delivery_state: string | null;
}

/** An image in the API's job object: a fresh signed URL, never bytes. */
export interface JobImageView {
  index: number;
  url: string | null;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
}

/** The job object of `GET /v1/jobs/:id` (docs/worker-api.md). */
export interface JobView {
  id: string;
  object: "image.job";
  status: JobStatus;
  kind: JobKind;
  model: string;
  member: string;
  created_at: number;
  completed_at: number | null;
  requested_size: string | null;
  size_mismatch: boolean;
  provider: string | null;
  request_id: string | null;
  images: JobImageView[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
  cost_usd: number | null;
  error: JobError | null;
}

/** A job view plus what only server-side deliverers need: R2 keys and the prompt. */
export interface DeliverableJob extends JobView {
  team: string;
  prompt: string;
  images: (JobImageView & { key: string })[];
}

/** What the "generate" step returns (kept far below the 1 MiB step-result limit: keys only). */
export interface GenerateOutcome {
  status: "succeeded" | "failed";
  images: StoredImage[];
  error: JobError | null;
  usage: ImageUsage | null;
}
