import { type ImageUsage, rateFor } from "@gptimg/core";
import type { Env } from "../env.ts";
import { nowSeconds } from "./clock.ts";
import { utcDay } from "./quota.ts";

/** USD rates of one model: per million tokens by kind, and optionally per image (dall-e style). */
export interface ModelRate {
  input_text_per_mtok?: number;
  input_image_per_mtok?: number;
  output_text_per_mtok?: number;
  output_image_per_mtok?: number;
  per_image?: number;
}

/**
 * `MODEL_RATES` parsed, keyed by lower-cased model name (providers take model names in any case,
 * so `GPT-IMAGE-2` is billed as `gpt-image-2`). An invalid value yields no rates: every cost is
 * then unknown rather than requests failing.
 */
export function modelRates(env: Pick<Env, "MODEL_RATES">): Record<string, ModelRate> {
  try {
    const parsed = JSON.parse(env.MODEL_RATES ?? "{}") as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k.toLowerCase(), v as ModelRate]));
  } catch {
    return {};
  }
}

/** core's rate of a model (its table of known models, names matched as OpenAI does), in MODEL_RATES' terms. */
function coreRate(model: string): ModelRate | undefined {
  const r = rateFor(model);
  if (!r) return undefined;
  return {
    input_text_per_mtok: r.textInput,
    input_image_per_mtok: r.imageInput,
    output_image_per_mtok: r.imageOutput,
    ...(r.perImage !== undefined ? { per_image: r.perImage } : {}),
  };
}

const rate = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Cost in USD of one request from its `usage` and the model's rates: the `MODEL_RATES` var's
 * (model names compared case-insensitively), else core's table of known models. Without token details, input tokens count as text and
 * output tokens as image tokens (what image models bill). A model without a rate, or with token
 * rates but no usage, has an unknown cost: null, never 0. Rounded to 1e-6 USD.
 * @example
 * costUsd("gpt-image-2", { inputTokens: 50, outputTokens: 4160, totalTokens: 4210 }, env, 1)
 */
export function costUsd(
  model: string,
  usage: ImageUsage | undefined,
  env: Pick<Env, "MODEL_RATES">,
  images = 0,
): number | null {
  const r = modelRates(env)[model.toLowerCase()] ?? coreRate(model);
  // no rate, or token rates and no token counts (a request that failed before its usage came)
  if (!r || (!usage && r.per_image === undefined)) return null;
  let cost = rate(r.per_image) * images;
  if (usage) {
    const inImage = usage.inputTokensDetails?.imageTokens ?? 0;
    const inText = usage.inputTokensDetails?.textTokens ?? Math.max(0, usage.inputTokens - inImage);
    const outText = usage.outputTokensDetails?.textTokens ?? 0;
    const outImage = usage.outputTokensDetails?.imageTokens ?? Math.max(0, usage.outputTokens - outText);
    cost +=
      (inText * rate(r.input_text_per_mtok) +
        inImage * rate(r.input_image_per_mtok) +
        outText * rate(r.output_text_per_mtok) +
        outImage * rate(r.output_image_per_mtok)) /
      1_000_000;
  }
  return Math.round(cost * 1e6) / 1e6;
}

export interface UsageRecord {
  team: string;
  member: string;
  tokenId?: string | null;
  model: string;
  images: number;
  usage?: ImageUsage;
  jobId?: string | null;
  /**
   * the request failed after it reached the provider: its images may have been billed, so they
   * count against the quota and are reported apart
   */
  possiblyBilled?: boolean;
}

/**
 * The `usage` insert of one finished request and its cost in USD, not yet run: a caller that has
 * other writes to make at the same moment (the job row's completion) sends them in one
 * `db.batch`, one D1 round trip and one transaction.
 * @example
 * const { statement, cost } = usageInsert(env, rec);
 * await env.DB.batch([statement, jobUpdate]); // see completeJob in src/jobs/repo.ts
 */
export function usageInsert(
  env: Pick<Env, "DB" | "MODEL_RATES">,
  rec: UsageRecord,
): { statement: D1PreparedStatement; cost: number | null } {
  const cost = costUsd(rec.model, rec.usage, env, rec.images);
  const u = rec.usage;
  const now = nowSeconds();
  const statement = env.DB.prepare(
    `INSERT INTO usage (day, team, member, token_id, model, images, input_tokens, input_text_tokens, input_image_tokens,
       output_tokens, output_text_tokens, output_image_tokens, cost_usd, cost_unknown, job_id, created_at, possibly_billed)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(
    utcDay(now),
    rec.team,
    rec.member,
    rec.tokenId ?? null,
    rec.model,
    rec.images,
    u?.inputTokens ?? 0,
    u?.inputTokensDetails?.textTokens ?? 0,
    u?.inputTokensDetails?.imageTokens ?? 0,
    u?.outputTokens ?? 0,
    u?.outputTokensDetails?.textTokens ?? 0,
    u?.outputTokensDetails?.imageTokens ?? 0,
    cost ?? 0,
    cost === null ? 1 : 0,
    rec.jobId ?? null,
    now,
    rec.possiblyBilled ? 1 : 0,
  );
  return { statement, cost };
}

export interface UsageRow {
  /** the UTC day, when grouped by day */
  day?: string;
  team: string;
  member: string;
  model: string;
  /** images of requests that succeeded */
  images: number;
  /** images of requests that failed after reaching the provider: they count against the quota */
  possibly_billed_images: number;
  input_tokens: number;
  output_tokens: number;
  /** cost of the images whose cost is known; null when none is */
  cost_usd: number | null;
  /** images whose cost is unknown (a model without a rate in MODEL_RATES, or no usage reported) */
  unpriced_images: number;
}

/**
 * Usage summed per team, member and model over UTC days `from`..`to` (inclusive); with `byDay`,
 * per day too (newest day first). Possibly billed images apart, and images of unknown cost
 * counted apart from the cost (null when no image's cost is known), never as $0.
 */
export async function queryUsage(
  env: Pick<Env, "DB">,
  q: { from: string; to: string; team?: string; member?: string; byDay?: boolean },
): Promise<UsageRow[]> {
  const where = ["day >= ?", "day <= ?"];
  const args: unknown[] = [q.from, q.to];
  if (q.team !== undefined) {
    where.push("team = ?");
    args.push(q.team);
  }
  if (q.member !== undefined) {
    where.push("member = ?");
    args.push(q.member);
  }
  const { results } = await env.DB.prepare(
    `SELECT ${q.byDay ? "day, " : ""}team, member, model, SUM(CASE WHEN possibly_billed = 0 THEN images ELSE 0 END) AS images,
       SUM(CASE WHEN possibly_billed = 1 THEN images ELSE 0 END) AS possibly_billed_images,
       SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
       CASE WHEN MIN(cost_unknown) = 1 THEN NULL ELSE ROUND(SUM(cost_usd), 6) END AS cost_usd,
       SUM(CASE WHEN cost_unknown = 1 THEN images ELSE 0 END) AS unpriced_images
     FROM usage WHERE ${where.join(" AND ")}
     GROUP BY ${q.byDay ? "day, " : ""}team, member, model
     ORDER BY ${q.byDay ? "day DESC, " : ""}team, member, model`,
  )
    .bind(...args)
    .all<UsageRow>();
  return results;
}
