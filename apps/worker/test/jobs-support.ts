/** Shared pieces of the jobs tests in the Workers runtime: tokens, requests, a fake provider. */
import { applyD1Migrations, introspectWorkflow } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { vi } from "vitest";
import { png } from "../../../packages/core/test-fixtures/images.ts";
import { hashToken } from "../src/lib/tokens.ts";
import { ORIGIN } from "./gateway-support.ts";

/**
 * `introspectWorkflow` on the image-job Workflow, whose dispose also releases each instance's
 * modifier. The harness (`@cloudflare/vitest-pool-workers` 0.15.1) asks the Workflow engine for
 * one modifier per instance (`unsafeGetInstanceModifier`, an RPC stub) and never disposes it, so
 * workerd printed "An RPC stub was not disposed properly" when the garbage collector found them.
 * @example
 * await using wf = await introspectJobs();
 */
export async function introspectJobs(): Promise<Awaited<ReturnType<typeof introspectWorkflow>>> {
  const wf = await introspectWorkflow(env.IMAGE_JOBS);
  const dispose = wf.dispose.bind(wf);
  const release = async () => {
    for (const instance of wf.get()) await instance.modify(async (m) => (m as Partial<Disposable>)[Symbol.dispose]?.());
    await dispose();
  };
  return Object.assign(wf, { dispose: release, [Symbol.asyncDispose]: release });
}

/** Applies every migration (a no-op for those already applied). */
export async function migrate(): Promise<void> {
  const migrations = (env as unknown as { TEST_MIGRATIONS?: Parameters<typeof applyD1Migrations>[1] }).TEST_MIGRATIONS;
  if (migrations) await applyD1Migrations(env.DB, migrations);
}

let seq = 0;
/** A fresh member token of `team`, inserted straight into D1. */
export async function memberToken(team = "acme", member = "alice"): Promise<{ token: string; id: string }> {
  seq += 1;
  const token = `gpi_test_${team}_${member}_${seq}_${crypto.randomUUID()}`;
  const id = `tok_test_${seq}_${crypto.randomUUID().slice(0, 8)}`;
  await env.DB.prepare("INSERT INTO tokens (id, token_hash, team, member, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(id, await hashToken(token), team, member, Math.floor(Date.now() / 1000))
    .run();
  return { token, id };
}

/** Calls the Worker as a client would. */
export function call(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }));
}

/** POST /v1/jobs with a JSON body. */
export function postJob(token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/jobs", token, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** A whole PNG of the given size (its zero pixels compress to a few KB). */
export const testPng = (width = 1024, height = 1024) => png({ width, height });

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A provider answer of `n` PNGs in OpenAI's shape, with usage. */
export function imagesResponse(n = 1, width = 1024, height = 1024): Response {
  const data = Array.from({ length: n }, () => ({ b64_json: b64(testPng(width, height)) }));
  const usage = {
    input_tokens: 50,
    output_tokens: 4160,
    total_tokens: 4210,
    input_tokens_details: { text_tokens: 50, image_tokens: 0 },
  };
  return Response.json(
    { created: 1, data, usage, output_format: "png", size: `${width}x${height}` },
    { headers: { "x-request-id": "req_fake_1" } },
  );
}

export type Route = (req: Request) => Response | Promise<Response>;

/**
 * Replaces global fetch: requests to the configured provider go to `provider`, anything else to
 * `other` (callback receivers). Returns the recorded requests per side.
 */
export function fakeUpstream(provider: Route, other: Route = () => new Response("ok")) {
  const providerCalls: Request[] = [];
  const otherCalls: { request: Request; body: string }[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(env.PROVIDER_BASE_URL)) {
      providerCalls.push(req.clone());
      return provider(req);
    }
    otherCalls.push({ request: req, body: await req.clone().text() });
    return other(req);
  });
  return { providerCalls, otherCalls, restore: () => spy.mockRestore() };
}
