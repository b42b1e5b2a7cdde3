/** Shapes of the Worker's job API (docs/worker-api.md), as the CLI reads them. */

export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export interface JobImage {
  index: number;
  url: string;
  format?: string;
  width?: number;
  height?: number;
  bytes?: number;
}

export interface JobError {
  code: string;
  message: string;
  status?: number | null;
  request_id?: string | null;
  possibly_billed?: boolean;
}

export interface Job {
  id: string;
  object?: string;
  status: JobStatus;
  kind?: "generate" | "edit";
  model?: string;
  member?: string;
  created_at?: number;
  completed_at?: number | null;
  requested_size?: string | null;
  size_mismatch?: boolean;
  provider?: string | null;
  request_id?: string | null;
  images?: JobImage[];
  usage?: {
    input_tokens?: number;
    output_tokens?: number;
    total_tokens?: number;
    input_tokens_details?: { text_tokens?: number; image_tokens?: number };
  } | null;
  cost_usd?: number | null;
  error?: JobError | null;
}

export interface JobList {
  object: "list";
  data: Job[];
  next_cursor: string | null;
}

export const isTerminal = (s: string): boolean => s === "succeeded" || s === "failed";
