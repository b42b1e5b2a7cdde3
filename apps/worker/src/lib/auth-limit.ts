/**
 * The limit on guessing tokens: after `AUTH_FAILURE_LIMIT` attempts with a token that does not
 * exist (an unknown member token, a wrong admin token) from one client within a fixed window of
 * `AUTH_FAILURE_WINDOW_SECONDS`, every request from that client that presents a token is refused
 * (429 `rate_limited`, `Retry-After`, `x-should-retry: false`) until the window ends, a correct
 * token included: otherwise the limit would still tell a guesser which guess was right. Other
 * clients are not affected. A revoked or expired token is not a guess (it was issued), so a
 * script left with a stale token does not lock out the office behind the same address.
 *
 * The windows are counted in `rate_windows`, the table of the per-token rpm limit, keyed by
 * `client:<address>` instead of a token id. Reading the window and counting the attempt are
 * statements of the batch that checks the token (`attemptStatements`): one transaction, so
 * parallel guesses cannot all pass on the same count, and no D1 round trip of their own.
 */
import type { Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import { memberFromRead, noSuchTokenSql, type TokenReadRow, type TokenRef, tokenReadStatement } from "./token-repo.ts";

/**
 * Failed attempts a client may make per window. Far above what a person or a team makes by
 * mistake (a mistyped or half-copied token fails once, and the SDKs do not retry a 401), far below
 * what guessing needs: 2,880 guesses a day per address against a 256-bit member token or a
 * 120-bit admin token (`MIN_ADMIN_TOKEN_LENGTH`).
 */
export const AUTH_FAILURE_LIMIT = 20;
/** The fixed window the failures are counted in: ten minutes. */
export const AUTH_FAILURE_WINDOW_SECONDS = 600;

/** Keys of client windows in `rate_windows`; `;` follows `:` in ASCII, so the prefix is a range. */
const PREFIX = "client:";
const PREFIX_END = "client;";

/**
 * The client a failed attempt counts against, from `CF-Connecting-IP`: an IPv4 address as it is,
 * an IPv6 address by its /64 (one host commonly holds a whole /64). `wrangler dev` sets the header
 * from the connection too; a request without it (one made inside the runtime, as tests do) counts
 * as the one client `local`.
 * @example
 * clientKey("2001:db8::1") // "client:2001:db8:0:0::/64"
 */
export function clientKey(address: string | undefined | null): string {
  const a = (address ?? "").trim().toLowerCase().slice(0, 64);
  if (a === "") return `${PREFIX}local`;
  if (!a.includes(":")) return PREFIX + a;
  const halves = a.split("::");
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves[1] ? halves[1].split(":") : [];
  const groups =
    halves.length === 2 ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  const prefix = groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ""));
  return `${PREFIX}${prefix.join(":")}::/64`;
}

const windowStart = (now: number) => now - (now % AUTH_FAILURE_WINDOW_SECONDS);

/**
 * Whether an attempt's token is wrong: known before D1 is asked (the admin token, compared with
 * the secret), or an SQL condition whose parameters start at ?3 (`unknownToken`).
 */
export type Wrong = boolean | { sql: string; params: unknown[] };

/** A member token whose SHA-256 (`hash`) no row of `tokens` has: an attempt that counts. */
export const unknownToken = (hash: string): Wrong => ({ sql: noSuchTokenSql(3), params: [hash] });

/**
 * One attempt with a sent token, for the batch that checks it: first the client's count before
 * this attempt (`assertNotLockedOut` reads it from the first result), then, where the token is
 * `wrong`, the attempt counted and every client's past windows pruned. Read and count are one
 * transaction with the token's own read, so no two attempts pass on the same count.
 */
export function attemptStatements(db: D1Database, client: string, now: number, wrong: Wrong): D1PreparedStatement[] {
  const start = windowStart(now);
  const read = db.prepare("SELECT count FROM rate_windows WHERE token_id = ? AND window_start = ?").bind(client, start);
  if (wrong === false) return [read];
  const cond = wrong === true ? "1" : wrong.sql;
  const params = wrong === true ? [] : wrong.params;
  return [
    read,
    db
      .prepare(
        `INSERT INTO rate_windows (token_id, window_start, count) SELECT ?1, ?2, 1 WHERE ${cond}
         ON CONFLICT (token_id, window_start) DO UPDATE SET count = count + 1`,
      )
      .bind(client, start, ...params),
    db
      .prepare(
        `DELETE FROM rate_windows WHERE token_id >= '${PREFIX}' AND token_id < '${PREFIX_END}' AND window_start < ?2 AND ${cond}`,
      )
      .bind(client, start, ...params),
  ];
}

/**
 * SQL condition for a write that must not happen for a locked-out client: ?n holds the client,
 * ?n+1 the window's start (`limitParams`).
 */
export const notLockedOutSql = (n: number) =>
  `NOT EXISTS (SELECT 1 FROM rate_windows WHERE token_id = ?${n} AND window_start = ?${n + 1} AND count >= ${AUTH_FAILURE_LIMIT})`;

/** The values `notLockedOutSql` binds. */
export const limitParams = (client: string, now: number): [string, number] => [client, windowStart(now)];

/**
 * Throws the 429 when `row` (the first of `attemptStatements`) says the client is locked out at
 * `now`. Retrying cannot help before the window ends, so SDKs are told not to (`x-should-retry`).
 */
export function assertNotLockedOut(row: { count?: unknown } | undefined | null, now: number): void {
  if (Number(row?.count ?? 0) < AUTH_FAILURE_LIMIT) return;
  const retryAfter = Math.max(1, windowStart(now) + AUTH_FAILURE_WINDOW_SECONDS - now);
  throw new HttpError(
    429,
    "rate_limited",
    `too many attempts with a wrong token from this address (${AUTH_FAILURE_LIMIT} within ${AUTH_FAILURE_WINDOW_SECONDS / 60} minutes): every token sent from it is refused for ${retryAfter} more seconds`,
    { headers: { "Retry-After": String(retryAfter), "x-should-retry": "false" } },
  );
}

/**
 * Runs one attempt's statements with `also` (the token's own reads) in one batch and throws the
 * 429 for a locked-out client; else returns the results of `also`.
 * @example
 * const [row] = await attempt(db, client, now, unknownToken(hash), [tokenReadStatement(db, ref)]);
 */
export async function attempt(
  db: D1Database,
  client: string,
  now: number,
  wrong: Wrong,
  also: D1PreparedStatement[] = [],
): Promise<D1Result<Record<string, unknown>>[]> {
  const own = attemptStatements(db, client, now, wrong);
  const results = await db.batch<Record<string, unknown>>([...own, ...also]);
  assertNotLockedOut(results[0]?.results[0], now);
  return results.slice(own.length);
}

/**
 * The member `ref` names, read from D1 in one round trip: a token the caller sent is read in one
 * batch with its attempt (`attempt`), so a locked-out client gets the 429 before its token is
 * looked at.
 * @example
 * const member = await readMember(env.DB, c.get("credential"), nowSeconds());
 */
export async function readMember(db: D1Database, ref: TokenRef, now: number): Promise<Member> {
  const read = tokenReadStatement(db, ref);
  const row =
    ref.client === undefined
      ? await read.first<TokenReadRow>()
      : (await attempt(db, ref.client, now, unknownToken(ref.value), [read]))[0]?.results[0];
  return memberFromRead((row ?? undefined) as TokenReadRow | undefined, ref, now);
}
