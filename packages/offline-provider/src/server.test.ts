import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, postJson } from "./test-support.ts";

const CANARY = "sk-canary-do-not-leak";

describe("startOfflineProvider", () => {
  it("serves 30 requests at once without Node warning of an abort-listener leak", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    const p = await startOfflineProvider({ latencyMs: 50 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => postJson(`${p.url}/images/generations`, { prompt: `at once ${i}` })),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await p.close();
    }
  });

  it("listens on 127.0.0.1 with a /v1 base URL", async () => {
    const p = await startOfflineProvider();
    try {
      expect(p.url).toBe(`http://127.0.0.1:${p.port}/v1`);
      expect(p.port).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });

  it("requires the bearer key when one is set, and never records or logs it", async () => {
    const lines: string[] = [];
    const p = await startOfflineProvider({ apiKey: CANARY, log: (l) => lines.push(l) });
    try {
      const none = await postJson(`${p.url}/images/generations`, { prompt: "x" });
      expect(none.status).toBe(401);
      const wrong = await postJson(
        `${p.url}/images/generations`,
        { prompt: "x" },
        { authorization: "Bearer sk-canary-wrong" },
      );
      expect(wrong.status).toBe(401);
      const wrongBody = (await wrong.json()) as { error: { code: string; type: string; message: string } };
      expect(wrongBody.error).toMatchObject({ code: "invalid_api_key", type: "invalid_request_error" });
      expect(wrongBody.error.message).not.toContain("sk-canary-wrong");
      const right = await postJson(
        `${p.url}/images/generations`,
        { prompt: "x" },
        { authorization: `Bearer ${CANARY}` },
      );
      expect(right.status).toBe(200);
      expect(p.requests.map((r) => r.status)).toEqual([401, 401, 200]);
      const recorded = JSON.stringify(p.requests) + lines.join("\n");
      expect(recorded).not.toContain("canary");
      expect(p.requests[2]?.headers["content-type"]).toBe("application/json");
    } finally {
      await p.close();
    }
  });

  it("lists models and answers single models", async () => {
    const p = await startOfflineProvider();
    try {
      const list = (await (await fetch(`${p.url}/models`)).json()) as { object: string; data: Array<{ id: string }> };
      expect(list.object).toBe("list");
      expect(list.data.map((m) => m.id)).toEqual(
        expect.arrayContaining(["gpt-image-2", "gpt-image-1", "dall-e-3", "canvas-20"]),
      );
      expect((await fetch(`${p.url}/models/gpt-image-2`)).status).toBe(200);
      expect((await fetch(`${p.url}/models/nope`)).status).toBe(404);
    } finally {
      await p.close();
    }
  });

  it.each([
    ["GET", "/v1/images/generations", 405],
    ["POST", "/v1/models", 405],
    ["POST", "/v1/unknown", 404],
    ["GET", "/", 404],
  ])("%s %s answers %i with an OpenAI error", async (method, path, status) => {
    const p = await startOfflineProvider();
    try {
      const res = await fetch(`http://127.0.0.1:${p.port}${path}`, {
        method,
        body: method === "POST" ? "{}" : undefined,
      });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    } finally {
      await p.close();
    }
  });

  it("serves 20 parallel requests and records each", async () => {
    const p = await startOfflineProvider();
    try {
      const sizes = ["1024x1024", "1536x1024", "1024x1536", "2048x1152"];
      const bodies = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await postJson(`${p.url}/images/generations`, {
            prompt: `parallel ${i}`,
            size: sizes[i % 4],
            quality: "low",
          });
          return (await res.json()) as { size: string; data: Array<{ b64_json: string }> };
        }),
      );
      for (const [i, body] of bodies.entries()) {
        const [w, h] = sizes[i % 4]!.split("x").map(Number);
        expect(await decoded(body.data[0]!.b64_json)).toMatchObject({ width: w, height: h });
      }
      expect(p.count("/images/generations")).toBe(20);
      expect(new Set(p.requests.map((r) => r.seq)).size).toBe(20);
    } finally {
      await p.close();
    }
  });

  it("close() frees the port, even with a hanging request open", async () => {
    const p = await startOfflineProvider();
    const hanging = postJson(`${p.url}/images/generations`, { prompt: "x" }, { "x-offline-fault": "hang" }).catch(
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 50));
    await p.close();
    expect(await hanging).toBeInstanceOf(Error);
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once("error", reject);
      again.listen(p.port, "127.0.0.1", () => resolve());
    });
    await new Promise((r) => again.close(r));
  });

  it("listens on a chosen port", async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((r) => probe.close(r));
    const p = await startOfflineProvider({ port });
    try {
      expect(p.url).toBe(`http://127.0.0.1:${port}/v1`);
    } finally {
      await p.close();
    }
  });
});

describe("CLI", () => {
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));
  const bun = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));
  it.each([
    ["node (tsx)", process.execPath, [tsx, main]],
    ["bun", bun, [main]],
  ])(
    "under %s: prints the base URL first, serves, and stops on SIGTERM",
    async (_name, command, args) => {
      const child = spawn(command, [...args, "--latency", "10", "--api-key", CANARY, "--quiet"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        const firstLine = await new Promise<string>((resolve, reject) => {
          let out = "";
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) resolve(out.split("\n")[0]!);
          });
          child.once("exit", (code) => reject(new Error(`exited ${code}`)));
          setTimeout(() => reject(new Error("no URL within 15 s")), 15_000);
        });
        const url = /^OFFLINE_PROVIDER_URL=(http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(firstLine)?.[1];
        expect(url).toBeDefined();
        const res = await fetch(`${url}/models`, { headers: { authorization: `Bearer ${CANARY}` } });
        expect(res.status).toBe(200);
        const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    20_000,
  );

  it("refuses a bad flag with exit code 2", async () => {
    const child = spawn(process.execPath, [tsx, main, "--latency", "soon"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(err).toContain("--latency soon: expected a non-negative integer");
  }, 20_000);
});
