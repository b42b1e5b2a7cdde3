import { ValidationError, type ValidationIssue } from "@gptimg/core";
import { Hono } from "hono";
import type { JobRow } from "../../jobs/types.ts";
import { storedImages } from "../../jobs/view.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { signUrl } from "../../lib/signing.ts";
import { thumbnail } from "../../lib/thumbnails.ts";
import { dayRangeIssues } from "../dates.ts";

const MAX_LIMIT = 96;

/** Options a history entry shows and "reuse settings" fills in again. */
const SETTINGS = [
  "size",
  "quality",
  "output_format",
  "output_compression",
  "background",
  "n",
  "moderation",
  "input_fidelity",
] as const;

const camel: Record<string, string> = {
  output_format: "outputFormat",
  output_compression: "outputCompression",
  input_fidelity: "inputFidelity",
};

// Newest first by second, then by insertion order (rowid), so a burst within one second keeps its order.
const encodeCursor = (createdAt: number, rowid: number) =>
  btoa(`${createdAt}:${rowid}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function decodeCursor(cursor: string): { createdAt: number; rowid: number } | null {
  try {
    const [t, r] = atob(cursor.replace(/-/g, "+").replace(/_/g, "/")).split(":");
    const createdAt = Number(t);
    const rowid = Number(r);
    if (Number.isInteger(createdAt) && Number.isInteger(rowid)) return { createdAt, rowid };
  } catch {
    // fall through
  }
  return null;
}

/** The history query, checked: every problem is named with its value and rule. */
function parseQuery(q: (k: string) => string | undefined) {
  const issues: ValidationIssue[] = [];
  const limitText = q("limit") ?? "48";
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    issues.push({ field: "limit", value: limitText, rule: `must be an integer from 1 to ${MAX_LIMIT}` });
  const scope = q("scope") ?? "member";
  if (scope !== "member" && scope !== "team")
    issues.push({ field: "scope", value: scope, rule: 'must be "member" or "team"' });
  // an empty bound is no bound
  issues.push(...dayRangeIssues(q("from") || undefined, q("to") || undefined));
  const text = q("q") ?? "";
  if (text.length > 200) issues.push({ field: "q", value: text, rule: "must be at most 200 characters" });
  const cursorText = q("cursor");
  const cursor = cursorText ? decodeCursor(cursorText) : null;
  if (cursorText && !cursor)
    issues.push({ field: "cursor", value: cursorText, rule: "must be a next_cursor returned by this endpoint" });
  if (issues.length) throw new ValidationError(issues);
  return {
    limit,
    scope: scope as "member" | "team",
    member: q("member") || undefined,
    model: q("model") || undefined,
    from: q("from") || undefined,
    to: q("to") || undefined,
    text: text.trim(),
    cursor,
  };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/**
 * `/console/api/history`: the images of the caller (or the caller's team), newest first (those a
 * failed request had stored too), with a signed URL per original and a thumbnail URL per image;
 * filter by member, model, UTC day range and prompt text. `/console/api/thumbnails/:job/:index` serves a thumbnail (made on first need
 * when it was not made as the image was stored).
 */
export const historyRouter = new Hono<AppEnv>();

historyRouter.get("/history", async (c) => {
  const member = c.get("member");
  const p = parseQuery((k) => c.req.query(k));
  // every row with stored images: a request that failed after some were made lists those
  // (the provider may have billed them), not only the ones that succeeded
  const where = ["team = ?", "image_keys IS NOT NULL"];
  const binds: unknown[] = [member.team];
  const who = p.scope === "member" ? member.member : p.member;
  if (who) {
    where.push("member = ?");
    binds.push(who);
  }
  if (p.model) {
    where.push("model = ?");
    binds.push(p.model);
  }
  if (p.from) {
    where.push("created_at >= ?");
    binds.push(Date.parse(`${p.from}T00:00:00Z`) / 1000);
  }
  if (p.to) {
    where.push("created_at < ?");
    binds.push(Date.parse(`${p.to}T00:00:00Z`) / 1000 + 86400);
  }
  if (p.text) {
    where.push("json_extract(request_json, '$.prompt') LIKE ? ESCAPE '\\'");
    binds.push(`%${likeEscape(p.text)}%`);
  }
  if (p.cursor) {
    where.push("(created_at < ? OR (created_at = ? AND rowid < ?))");
    binds.push(p.cursor.createdAt, p.cursor.createdAt, p.cursor.rowid);
  }
  const { results } = await c.env.DB.prepare(
    `SELECT rowid AS row_number, * FROM jobs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
  )
    .bind(...binds, p.limit + 1)
    .all<JobRow & { row_number: number }>();
  const page = results.slice(0, p.limit);
  const last = page.at(-1);
  const origin = new URL(c.req.url).origin;
  return c.json({
    object: "list",
    data: await Promise.all(page.map((row) => entry(c.env, origin, row))),
    next_cursor: results.length > p.limit && last ? encodeCursor(last.created_at, last.row_number) : null,
  });
});

async function entry(env: AppEnv["Bindings"], origin: string, row: JobRow) {
  const request = JSON.parse(row.request_json) as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const k of SETTINGS) {
    const v = request[camel[k] ?? k] ?? request[k];
    if (v !== undefined && v !== null) settings[k] = v;
  }
  const images = await Promise.all(
    storedImages(row).map(async (img) => ({
      index: img.index,
      format: img.format,
      width: img.width,
      height: img.height,
      bytes: img.bytes,
      url: await signUrl(env, origin, img.key),
      thumbnail_url: `/console/api/thumbnails/${row.id}/${img.index}`,
    })),
  );
  return {
    id: row.id,
    object: "console.history_entry",
    kind: row.kind,
    model: row.model,
    member: row.member,
    created_at: row.created_at,
    prompt: typeof request.prompt === "string" ? request.prompt : "",
    requested_size: row.requested_size,
    settings,
    cost_usd: row.cost,
    images,
  };
}

historyRouter.get("/thumbnails/:job/:index", async (c) => {
  const { job, index } = c.req.param();
  const row = await c.env.DB.prepare("SELECT * FROM jobs WHERE id = ?").bind(job).first<JobRow>();
  const img =
    row && row.team === c.get("member").team ? storedImages(row).find((i) => String(i.index) === index) : undefined;
  if (!img) throw new HttpError(404, "not_found", `image ${job}/${index}: no such image in your team`);
  const bytes = await thumbnail(c.env, img.key);
  if (!bytes)
    throw new HttpError(404, "not_found", `image ${job}/${index}: no thumbnail (the Images binding is not configured)`);
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "image/webp",
    "Cache-Control": "private, max-age=604800, immutable",
    "X-Content-Type-Options": "nosniff",
  });
});
