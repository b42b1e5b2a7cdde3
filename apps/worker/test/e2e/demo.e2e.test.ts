import { spawn } from "node:child_process";
import { access, readFile, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_SECRETS, WORKER_DIR } from "../../scripts/lib/stack.ts";

const CLI = resolve(WORKER_DIR, "../cli/dist/gptimg");
const CANARIES = [DEV_SECRETS.PROVIDER_API_KEY, DEV_SECRETS.ADMIN_TOKEN];

/** Runs `npm run demo -w apps/worker` as the README's second command does, stopping after the image. */
function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
      cwd: WORKER_DIR,
      env: { ...process.env, GPTIMG_DEMO_EXIT: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), 90_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe("the README's demo", () => {
  it("makes an image through the compiled CLI and the local Worker, checks its signed URL, and stops what it started", async () => {
    await access(CLI); // built by `npm test` before these tests (turbo builds the CLI first)
    const { code, stdout, stderr } = await runDemo();
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toContain("generating through the CLI");
    const saved = /^saved: +(\S+)$/m.exec(stdout)?.[1];
    const url = /^signed URL: +(\S+)$/m.exec(stdout)?.[1];
    expect(saved).toBeDefined();
    expect(url).toBeDefined();
    expect(stdout).toMatch(/^download: +\d+ bytes, 1024x1024 png, identical to the saved file$/m);
    // the saved file is a whole PNG
    const bytes = await readFile(saved as string);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.subarray(-8, -4).toString("latin1")).toBe("IEND");
    await rm(dirname(saved as string), { recursive: true, force: true });
    for (const canary of CANARIES) expect(stdout + stderr).not.toContain(canary);
    // it stopped the Worker and the provider it started: nothing answers on their ports any more
    const origin = /Worker on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    const provider = /offline provider on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    expect(origin).toBeDefined();
    expect(provider).toBeDefined();
    for (const address of [origin, provider]) {
      await expect(fetch(`${address}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
  }, 120_000);
});
