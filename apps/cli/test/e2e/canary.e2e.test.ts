import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANARY, filesContaining, type RunResult, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
});
afterAll(() => provider.close());

describe(`the canary key ${CANARY} appears in no output stream and no file but the 0600 config`, () => {
  it("across every command, route of key, dry-run and failure", async () => {
    const home = tmp();
    const cwd = join(home, "work");
    mkdirSync(cwd);
    const config = join(home, ".config/gptimg/config.json");
    const results: RunResult[] = [];
    const go = async (args: string[], env: Record<string, string> = {}, input?: string): Promise<void> => {
      results.push(await run(args, { env: { HOME: home, ...env }, cwd, ...(input !== undefined ? { input } : {}) }));
    };
    const viaEnv = { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
    await go(["login", "--base-url", provider.url], {}, `${CANARY}\n`);
    await go(["generate", "a cat", "--json"]);
    await go(["generate", "a cat", "--dry-run"]);
    await go(["generate", "a cat", "--dry-run", "--json"]);
    await go(["generate", "a cat", "--dry-run", "--api-key", CANARY, "--base-url", provider.url]);
    await go(["generate", "a cat", "-n", "2", "--media"], viaEnv);
    writeFileSync(join(cwd, ".env"), `GPTIMG_API_KEY=${CANARY}\nGPTIMG_BASE_URL=${provider.url}\n`);
    await go(["generate", "from dotenv", "--json"]);
    await go(["doctor"]);
    await go(["doctor", "--json"]);
    await go(["config", "show"]);
    await go(["config", "show", "--json"]);
    await go(["config", "get", "providers.default.apiKey"]);
    await go(["config", "get", "providers.default"]);
    await go(["sizes", "1920x1080"]);
    // The provider echoing the key back in an error must not leak it either.
    provider.setFaults([{ kind: "status", status: 400, message: `Incorrect API key provided: ${CANARY}` }]);
    await go(["generate", "a cat", "--json"], viaEnv);
    provider.setFaults([{ kind: "status", status: 401, message: `key ${CANARY} rejected` }]);
    await go(["generate", "a cat"], viaEnv);
    provider.setFaults([{ kind: "reset" }]);
    await go(["generate", "a cat", "--json"], viaEnv);
    writeFileSync(join(cwd, "jobs.jsonl"), `${JSON.stringify({ prompt: "batch cat" })}\n`);
    await go(["batch", "jobs.jsonl", "--json", "-o", "b"]);
    await go(["logout"]);

    expect(results.length).toBe(19);
    expect(results[1]?.code).toBe(0);
    expect(results[14]?.code).toBe(4);
    expect(results[15]?.code).toBe(3);
    expect(results[16]?.code).toBe(6);
    for (const r of results) {
      expect(r.stdout).not.toContain(CANARY);
      expect(r.stderr).not.toContain(CANARY);
    }
    expect(results.some((r) => r.stderr.includes("***redacted***") || r.stdout.includes("***redacted***"))).toBe(true);
    // Only the config (and the .env the test itself wrote) may hold it.
    expect(filesContaining(home, CANARY, [config, join(cwd, ".env")])).toEqual([]);
  });
});
