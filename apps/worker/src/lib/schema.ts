/**
 * The D1 migrations this build of the Worker expects, in the order wrangler applies them (the
 * files of `apps/worker/migrations/`; `schema.test.ts` keeps the two the same).
 */
export const MIGRATIONS = [
  "0001_init.sql",
  "0002_jobs.sql",
  "0003_webhooks.sql",
  "0004_quota_holds.sql",
  "0005_member_quota_holds.sql",
  "0006_console_sessions.sql",
  "0006_possibly_billed.sql",
  "0007_idempotency_per_token.sql",
  "0008_idempotency_claim_job.sql",
] as const;

/** What to run when the schema is behind (locally; `--remote` for the deployed database). */
export const APPLY_MIGRATIONS = "wrangler d1 migrations apply DB --local";

/** What `missingMigrations` needs of D1 (so this file also loads outside the Workers types). */
interface MigrationsDb {
  prepare(sql: string): { all<T>(): Promise<{ results: T[] }> };
}

/**
 * The expected migrations that `db` has not applied, read from wrangler's `d1_migrations` table;
 * every one of them when that table does not exist (no migration was ever applied).
 * @example
 * const missing = await missingMigrations(env.DB); // [] when the schema is current
 */
export async function missingMigrations(db: MigrationsDb): Promise<string[]> {
  let applied: Set<string>;
  try {
    const { results } = await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>();
    applied = new Set(results.map((r) => r.name));
  } catch (err) {
    if (!schemaGap(err)) throw err;
    applied = new Set();
  }
  return MIGRATIONS.filter((m) => !applied.has(m));
}

/**
 * The table or column a D1 error says is missing ("no such table: tokens"), which means the
 * schema is behind this build; undefined for any other error. Names only, never a value.
 * @example
 * schemaGap(new Error("D1_ERROR: no such table: tokens: SQLITE_ERROR")) // "table tokens"
 */
export function schemaGap(err: unknown): string | undefined {
  const m = /no such (table|column): ([A-Za-z0-9_.]{1,64})/.exec(err instanceof Error ? err.message : "");
  return m ? `${m[1]} ${m[2]}` : undefined;
}
