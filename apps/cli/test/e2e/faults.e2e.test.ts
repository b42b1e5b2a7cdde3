import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type FaultSpec, type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANARY, envelope, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.setFaults([]);
  provider.clearRequests();
  env = { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
});

describe("provider faults → exit codes and the failure envelope", () => {
  it.each<[string, FaultSpec[], number, string, boolean]>([
    ["5xx every attempt", [{ kind: "status", status: 503, times: 10 }], 5, "provider_error", false],
    ["HTML error page", [{ kind: "html", status: 502, times: 10 }], 5, "provider_error", false],
    ["429 every attempt", [{ kind: "status", status: 429, retryAfterMs: 1, times: 10 }], 5, "rate_limited", false],
    ["body cut after 200", [{ kind: "cut" }], 6, "bad_response", true],
    ["connection reset after send", [{ kind: "reset" }], 6, "outcome_unknown", true],
    ["invalid JSON", [{ kind: "invalid-json" }], 6, "bad_response", true],
    ["invalid base64", [{ kind: "invalid-base64" }], 6, "bad_response", true],
    ["400 bad request", [{ kind: "status", status: 400 }], 4, "validation", false],
    ["401", [{ kind: "status", status: 401 }], 3, "auth", false],
    ["403", [{ kind: "status", status: 403 }], 3, "permission", false],
  ])("%s", async (_name, faults, exit, code, billed) => {
    provider.setFaults(faults);
    const dir = tmp();
    const r = await run(["generate", "a cat", "--json", "--timeout", "20"], { env, cwd: dir });
    expect(r.code).toBe(exit);
    const e = envelope(r);
    expect(e).toMatchObject({ ok: false, command: "generate", error: { code, possiblyBilled: billed } });
    expect(Object.keys(e.error).sort()).toEqual(["code", "message", "possiblyBilled", "requestId", "status"]);
    expect(r.stderr).toMatch(/^error: /);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("an image cut to its first 100 bytes is saved as it came and exits 6, possibly billed", async () => {
    provider.setFaults([{ kind: "truncated-image" }]);
    const dir = tmp();
    const r = await run(["generate", "a cat", "-n", "2", "--json", "--timeout", "20"], { env, cwd: dir });
    expect(r.code).toBe(6);
    const e = envelope(r);
    expect(e).toMatchObject({ ok: false, error: { code: "bad_response", possiblyBilled: true } });
    const saved = readdirSync(dir).sort();
    expect(saved).toHaveLength(2);
    for (const name of saved) expect(readFileSync(join(dir, name)).length).toBe(100);
    for (const [i, name] of saved.entries()) {
      expect(e.error.message).toContain(
        `image ${i + 1} saved as ${join(dir, name)} is not a whole image (PNG ends after 100 bytes`,
      );
    }
    expect(r.stderr).toMatch(/may have been billed/);
  });

  it("a prompt refused by the safety system exits 4", async () => {
    const r = await run(["generate", "forbidden-content please", "--json"], { env, cwd: tmp() });
    expect(r.code).toBe(4);
    expect(envelope(r).error.code).toBe("content_policy");
  });

  it("a 429 out of quota (insufficient_quota) is sent once, exits 4 and says quota and billing", async () => {
    provider.setFaults([{ kind: "status", status: 429, code: "insufficient_quota", times: 10 }]);
    const r = await run(["generate", "a cat", "--json"], { env, cwd: tmp() });
    expect(r.code).toBe(4);
    expect(envelope(r).error).toMatchObject({ code: "insufficient_quota", status: 429, possiblyBilled: false });
    expect(r.stderr).toMatch(/^error: You exceeded your current quota, please check your plan and billing details/);
    expect(provider.count("/images/generations")).toBe(1);
  });

  it("a 429 with retry-after is retried, then succeeds", async () => {
    provider.setFaults([{ kind: "status", status: 429, retryAfterMs: 50 }]);
    const r = await run(["generate", "a cat", "--json"], { env, cwd: tmp() });
    expect(r.code).toBe(0);
    expect(provider.count("/images/generations")).toBe(2);
  });

  it("a 500 is retried, then succeeds", async () => {
    provider.setFaults([{ kind: "status", status: 500, retryAfterMs: 10 }]);
    const r = await run(["generate", "a cat"], { env, cwd: tmp() });
    expect(r.code).toBe(0);
    expect(provider.count("/images/generations")).toBe(2);
  });

  it("a reset body is never replayed", async () => {
    provider.setFaults([{ kind: "reset" }]);
    await run(["generate", "a cat"], { env, cwd: tmp() });
    expect(provider.count("/images/generations")).toBe(1);
  });

  it("a hanging provider hits --timeout: outcome unknown, exit 6", async () => {
    provider.setFaults([{ kind: "hang" }]);
    const r = await run(["generate", "a cat", "--json", "--timeout", "1s"], { env, cwd: tmp() });
    expect(r.code).toBe(6);
    expect(envelope(r).error.possiblyBilled).toBe(true);
  });

  it("an unreachable provider exits 5", async () => {
    const r = await run(["generate", "a cat", "--json"], {
      env: { ...env, GPTIMG_BASE_URL: "http://127.0.0.1:9/v1" },
      cwd: tmp(),
    });
    expect(r.code).toBe(5);
    expect(envelope(r).error).toMatchObject({ code: "network", possiblyBilled: false });
  });
});
