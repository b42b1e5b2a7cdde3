import type { ImageUsage } from "@gptimg/core";
import type { Env } from "../env.ts";
import { utcDay } from "./quota.ts";

/** USD rates of one model: per million tokens by kind, and optionally per image (dall-e style). */
export interface ModelRate {
  input_text_per_mtok?: number;
  input_image_per_mtok?: number;
  output_text_per_mtok?: number;
  output_image_per_mtok?: number;
  per_image?: number;
}

/** `MODEL_RATES` parsed; an invalid value yields no rates (cost 0) rather than failing requests. */
export function modelRates(env: Pick<Env, "MODEL_RATES">): Record<string, ModelRate> {
  try {
    const parsed = JSON.parse(env.MODEL_RATES ?? "{}") as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, ModelRate>) : {};
  } catch {
    return {};
  }
}

const rate = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Cost in USD of one request from its `usage` and the model's rates in `MODEL_RATES`. Without
 * token details, input tokens count as text and output tokens as image tokens (what image models
 * bill). Unknown models cost 0. Rounded to 1e-6 USD.
 * @example
 * costUsd("gpt-image-2", { inputTokens: 50, outputTokens: 4160, totalTokens: 4210 }, env, 1)
 */
export function costUsd(
  model: string,
  usage: ImageUsage | undefined,
  env: Pick<Env, "MODEL_RATES">,
  images = 0,
): number {
  const r = modelRates(env)[model];
  if (!r) return 0;
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
): { statement: D1PreparedStatement; cost: number } {
  const cost = costUsd(rec.model, rec.usage, env, rec.images);
  const u = rec.usage;
  const now = Math.floor(Date.now() / 1000);
  const statement = env.DB.prepare(
    `INSERT INTO usage (day, team, member, token_id, model, images, input_tokens, input_text_tokens, input_image_tokens,
       output_tokens, output_text_tokens, output_image_tokens, cost_usd, job_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    cost,
    rec.jobId ?? null,
    now,
  );
  return { statement, cost };
}

export interface UsageRow {
  /** the UTC day, when grouped by day */
  day?: string;
  team: string;
  member: string;
  model: string;
  images: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/**
 * Usage summed per team, member and model over UTC days `from`..`to` (inclusive); with `byDay`,
 * per day too (newest day first).
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
    `SELECT ${q.byDay ? "day, " : ""}team, member, model, SUM(images) AS images, SUM(input_tokens) AS input_tokens,
       SUM(output_tokens) AS output_tokens, ROUND(SUM(cost_usd), 6) AS cost_usd
     FROM usage WHERE ${where.join(" AND ")}
     GROUP BY ${q.byDay ? "day, " : ""}team, member, model
     ORDER BY ${q.byDay ? "day DESC, " : ""}team, member, model`,
  )
    .bind(...args)
    .all<UsageRow>();
  return results;
}
