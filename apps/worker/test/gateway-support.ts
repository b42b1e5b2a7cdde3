/** Shared pieces of the gateway tests: calls, tokens, the offline provider behind a fetch spy, canaries. */
import { env, exports } from "cloudflare:workers";
import { afterEach, expect, inject, vi } from "vitest";
import { hashToken, randomId } from "../src/lib/tokens.ts";
import { type UsageRecord, usageInsert } from "../src/lib/usage.ts";

export const ORIGIN = "https://gw.test";
export const CANARY_KEY = "sk-canary-worker-do-not-leak";
export const ADMIN = env.ADMIN_TOKEN as string;

/** Every secret the tests configure; none may appear in a response, a log line or R2. */
export function canaries(): string[] {
  const keys = Object.values(JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>);
  return [CANARY_KEY, ADMIN, env.SIGNING_KEYS as string, ...keys];
}

export function expectNoCanary(text: string, where = "output"): void {
  for (const c of canaries()) expect(text.includes(c), `${where} contains a secret`).toBe(false);
}

/** Calls the Worker the way a client would. */
export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }));
}

export const admin = (path: string, init: RequestInit = {}) => call(path, { ...init, token: ADMIN });

export interface TokenOptions {
  team?: string;
  member?: string;
  models?: string[] | null;
  dailyImageQuota?: number | null;
  rpm?: number | null;
  expiresAt?: number | null;
  revokedAt?: number | null;
}

/** A member token inserted straight into D1 (the admin API is tested on its own). */
export async function memberToken(o: TokenOptions = {}): Promise<{ token: string; id: string }> {
  const token = `gpi_${crypto.randomUUID().replaceAll("-", "")}`;
  const id = randomId("tok");
  await env.DB.prepare(
    `INSERT INTO tokens (id, token_hash, team, member, models, daily_image_quota, rpm, created_at, expires_at, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      await hashToken(token),
      o.team ?? "acme",
      o.member ?? "alice",
      o.models ? JSON.stringify(o.models) : null,
      o.dailyImageQuota ?? null,
      o.rpm ?? null,
      Math.floor(Date.now() / 1000),
      o.expiresAt ?? null,
      o.revokedAt ?? null,
    )
    .run();
  return { token, id };
}

/** What the provider side of a test saw. */
export interface ProviderSide {
  calls: { url: string; headers: Headers }[];
  restore: () => void;
}

/**
 * Routes the Worker's provider calls (PROVIDER_BASE_URL) to the real offline provider started by
 * global-setup, optionally with an `x-offline-fault` header on each; `hosts` answers other
 * origins (an image host a JSON edit names); anything else is refused.
 */
export function useOfflineProvider(
  fault?: string,
  hosts: Record<string, (req: Request) => Response> = {},
): ProviderSide {
  const real = globalThis.fetch;
  const target = inject("offlineProviderUrl");
  const calls: ProviderSide["calls"] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    const base = env.PROVIDER_BASE_URL;
    const host = hosts[new URL(req.url).origin];
    if (host) {
      calls.push({ url: req.url, headers: new Headers(req.headers) });
      return host(req);
    }
    if (!req.url.startsWith(base)) throw new TypeError(`unexpected outbound fetch ${req.url}`);
    calls.push({ url: req.url, headers: new Headers(req.headers) });
    const headers = new Headers(req.headers);
    if (fault) headers.set("x-offline-fault", fault);
    return real(
      new Request(target + req.url.slice(base.length), {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
        signal: req.signal,
      }),
    );
  });
  return { calls, restore: () => spy.mockRestore() };
}

/**
 * A `start` for a test file: routes the provider to the offline one (see `useOfflineProvider`)
 * and captures the console for one test; after it, both are restored and every console line
 * is checked for secrets.
 */
export function providerPerTest(): (
  fault?: string,
  hosts?: Record<string, (req: Request) => Response>,
) => ProviderSide {
  let provider: ProviderSide | undefined;
  let lines: ReturnType<typeof captureConsole> | undefined;
  afterEach(() => {
    provider?.restore();
    provider = undefined;
    if (lines) {
      for (const line of lines.lines) expectNoCanary(line, "a console line");
      lines.restore();
      lines = undefined;
    }
  });
  return (fault, hosts) => {
    provider = useOfflineProvider(fault, hosts);
    lines = captureConsole();
    return provider;
  };
}

/** Collects every console line written while a test runs. */
export function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(
        args
          .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === "string" ? a : JSON.stringify(a)))
          .join(" "),
      );
    }),
  );
  return {
    lines,
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

/** Every R2 object under `prefix` with its metadata, as one string for canary checks. */
export async function dumpR2(prefix = ""): Promise<{ objects: R2Object[]; text: string }> {
  const list = await env.IMAGES.list({ prefix, include: ["httpMetadata", "customMetadata"] });
  let text = "";
  for (const o of list.objects) {
    const body = await env.IMAGES.get(o.key);
    text += `${o.key}\n${JSON.stringify(o.customMetadata)}\n${JSON.stringify(o.httpMetadata)}\n${body ? await body.text() : ""}\n`;
  }
  return { objects: list.objects, text };
}

/** Whole response as text plus every header, for canary checks. */
export async function responseText(res: Response): Promise<string> {
  return `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`;
}

/** Parses an SSE body into its events. */
export function parseSse(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split("\n");
      const event =
        lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim() ?? "message";
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

export const decodeB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Records one finished request's usage row, as a job's completion does. Returns the cost in USD. */
export async function recordUsage(rec: UsageRecord): Promise<number | null> {
  const { statement, cost } = usageInsert(env, rec);
  await statement.run();
  return cost;
}
