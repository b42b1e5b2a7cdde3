import type { ImageUsage } from "@gptimg/core";
import type { Env } from "../env.ts";
import { signUrl } from "../lib/signing.ts";
import type { StoredImage } from "../lib/storage.ts";
import type { DeliverableJob, JobError, JobRow, JobView } from "./types.ts";

const parse = <T>(s: string | null): T | null => (s ? (JSON.parse(s) as T) : null);

/** Stored images of a row, in index order. */
export const storedImages = (row: JobRow): StoredImage[] =>
  (parse<StoredImage[]>(row.image_keys) ?? []).sort((a, b) => a.index - b.index);

/** The origin to sign URLs with: the one the job came through, else `PUBLIC_BASE_URL`. */
export const jobOrigin = (env: Env, row: JobRow): string | null => row.origin ?? env.PUBLIC_BASE_URL ?? null;

function usageView(u: ImageUsage | null): JobView["usage"] {
  return u ? { input_tokens: u.inputTokens, output_tokens: u.outputTokens, total_tokens: u.totalTokens } : null;
}

/**
 * The API's job object for a row, with a freshly signed URL per image (null when no origin is
 * known to sign with). Bytes never pass through here.
 */
export async function jobView(env: Env, row: JobRow, origin = jobOrigin(env, row)): Promise<JobView> {
  return (await deliverableJob(env, row, origin)).view;
}

/** The job object plus R2 keys and prompt, for deliverers that upload the bytes themselves. */
export async function deliverableJob(
  env: Env,
  row: JobRow,
  origin = jobOrigin(env, row),
): Promise<{ view: JobView; deliverable: DeliverableJob }> {
  const stored = storedImages(row);
  const urls = await Promise.all(stored.map((img) => (origin ? signUrl(env, origin, img.key) : null)));
  const images = stored.map((img, i) => ({
    index: img.index,
    url: urls[i] ?? null,
    format: img.format,
    width: img.width,
    height: img.height,
    bytes: img.bytes,
  }));
  const view: JobView = {
    id: row.id,
    object: "image.job",
    status: row.status,
    kind: row.kind,
    model: row.model,
    member: row.member,
    created_at: row.created_at,
    completed_at: row.completed_at,
    requested_size: row.requested_size,
    size_mismatch: row.size_mismatch === 1,
    provider: row.provider,
    request_id: row.request_id,
    images,
    usage: usageView(parse<ImageUsage>(row.usage)),
    cost_usd: row.cost,
    error: parse<JobError>(row.error),
  };
  const prompt = parse<{ prompt?: string }>(row.request_json)?.prompt ?? "";
  const deliverable: DeliverableJob = {
    ...view,
    team: row.team,
    prompt,
    images: images.map((img, i) => ({ ...img, key: stored[i]?.key ?? "" })),
  };
  return { view, deliverable };
}
