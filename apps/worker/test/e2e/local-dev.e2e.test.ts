import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, describe, expect, it } from "vitest";
import { DEV_SECRETS, freePort, type Stack, startStack, WORKER_DIR } from "../../scripts/lib/stack.ts";
import { MIGRATIONS } from "../../src/lib/schema.ts";
import { until } from "./support.ts";

/** A signing key under the 32-character minimum: named by its kid, never shown. */
const SHORT_KEY = "canary-short-key-e2e";
const CANARIES = [SHORT_KEY, DEV_SECRETS.PROVIDER_API_KEY, DEV_SECRETS.ADMIN_TOKEN];
const noCanary = (text: string) => {
  for (const c of CANARIES) expect(text).not.toContain(c);
};

interface Health {
  status: string;
  schema: { missing: string[] };
  problems: string[];
}

describe("a Worker started without its migrations or with bad secrets says what is wrong", () => {
  let stack: Stack | undefined;
  const lines: string[] = [];
  afterAll(async () => stack?.stop());

  it("/healthz names every missing migration and secret; a route names the schema gap, in the log too", async () => {
    stack = await startStack({
      migrate: false,
      secrets: { PROVIDER_API_KEY: DEV_SECRETS.PROVIDER_API_KEY, SIGNING_KEYS: JSON.stringify({ dev1: SHORT_KEY }) },
      log: (l) => lines.push(l),
    });
    const health = await fetch(`${stack.origin}/healthz`);
    expect(health.status).toBe(503);
    const text = await health.text();
    noCanary(text);
    const body = JSON.parse(text) as Health;
    expect(body.status).toBe("degraded");
    expect(body.schema.missing).toEqual([...MIGRATIONS]);
    expect(body.problems).toEqual([
      `DB: schema behind by ${MIGRATIONS.length} migration(s) (${MIGRATIONS.join(", ")}): run wrangler d1 migrations apply DB --local`,
      "ADMIN_TOKEN: not set; every /admin call is refused",
      'SIGNING_KEYS: "dev1": secret under 32 characters (ignored)',
      expect.stringMatching(/^SIGNING_KEYS: no usable key/),
    ]);

    const res = await fetch(`${stack.origin}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: "Bearer gpi_some_token", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a lighthouse" }),
    });
    expect(res.status).toBe(500);
    const error = await res.text();
    noCanary(error);
    expect(JSON.parse(error)).toMatchObject({
      error: {
        code: "internal",
        message: expect.stringMatching(
          /^internal error: the database schema is behind this Worker \(table \w+ missing\): apply the D1 migrations/,
        ),
      },
    });
    const logged = await until(async () => lines.find((l) => l.includes("internal error on POST")), 40, 250);
    expect(logged).toContain("the database schema is behind this Worker");
    noCanary(lines.join("\n"));
  });
});

describe("npm run dev: one command applies the migrations and starts the Worker", () => {
  let child: ChildProcess | undefined;
  let provider: OfflineProvider | undefined;
  let state = "";
  const out: string[] = [];
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await provider?.close();
    if (state) await rm(state, { recursive: true, force: true });
  });

  it("a fresh local database is migrated; a short signing key is named on /healthz and on a url answer", async () => {
    provider = await startOfflineProvider({ apiKey: DEV_SECRETS.PROVIDER_API_KEY });
    state = await mkdtemp(join(tmpdir(), "gptimg-dev-e2e-"));
    const envFile = join(state, "dev.vars");
    const secrets = { ...DEV_SECRETS, SIGNING_KEYS: JSON.stringify({ dev1: SHORT_KEY }) };
    await writeFile(
      envFile,
      Object.entries(secrets)
        .map(([k, v]) => `${k}='${v}'\n`)
        .join(""),
      { mode: 0o600 },
    );
    const [port, inspector] = [await freePort(), await freePort()];
    const args = [
      "--import",
      "tsx",
      join(WORKER_DIR, "scripts/dev.ts"),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      join(state, "wrangler"),
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
      "--var",
      `PROVIDER_BASE_URL:${provider.url}`,
    ];
    child = spawn(process.execPath, args, {
      cwd: WORKER_DIR,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const collect = (b: Buffer) => out.push(...b.toString().split("\n"));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const origin = `http://127.0.0.1:${port}`;
    const health = await until(
      async () => {
        if (child?.exitCode !== null) throw new Error(`npm run dev exited:\n${out.slice(-30).join("\n")}`);
        const res = await fetch(`${origin}/healthz`).catch(() => undefined);
        return res && res.status !== 502 ? res : undefined;
      },
      480,
      250,
    );
    const text = await health.text();
    noCanary(text);
    const body = JSON.parse(text) as Health;
    expect(body.schema.missing).toEqual([]);
    expect(body.problems).toEqual([
      'SIGNING_KEYS: "dev1": secret under 32 characters (ignored)',
      expect.stringMatching(/^SIGNING_KEYS: no usable key/),
    ]);
    expect(health.status).toBe(503);

    const created = await fetch(`${origin}/admin/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ team: "dev", member: "you" }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const res = await fetch(`${origin}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a lighthouse", response_format: "url" }),
    });
    expect(res.status).toBe(500);
    const error = await res.text();
    noCanary(error);
    expect(error).toContain("internal error: SIGNING_KEYS: no usable key");
    const logged = await until(async () => out.find((l) => l.includes("internal error on POST")), 40, 250);
    expect(logged).toContain("SIGNING_KEYS: no usable key");
    noCanary(out.join("\n"));
  }, 180_000);
});
