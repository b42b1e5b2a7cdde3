import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUN, npmInstall, ROOT, run, tarball, tmp } from "./helpers.ts";

const KEY = "sk-canary-dist-core-library";
let project: string;
let provider: OfflineProvider;

/**
 * One program, run in every runtime: the README's calls against the offline provider. Prints one
 * JSON line of what it saw.
 */
const IMPORTS = 'import { createImageClient, isValidationError, nearestLegalSize, resolveSize } from "@gptimg/core";';
const body = (baseUrl: string): string => `
const client = createImageClient({ providers: [{ name: "offline", profile: "openai-compatible", baseUrl: ${JSON.stringify(baseUrl)}, apiKey: ${JSON.stringify(KEY)} }] });
const result = await client.generate({ prompt: "a lighthouse at dusk", size: "16:9" });
let refused = "";
try { await client.generate({ prompt: "x", size: "5000x5000" }); } catch (e) { if (isValidationError(e)) refused = e.issues[0].field; }
const [image] = result.images;
const seen = { ratio: resolveSize("16:9").size, nearest: nearestLegalSize(1920, 1080), format: image.format, width: image.width, height: image.height, bytes: image.bytes.length, refused };
`;
const program = (baseUrl: string): string => `${IMPORTS}\n${body(baseUrl)}`;
const expected = { ratio: "1536x864", nearest: "1920x1088", format: "png", width: 1536, height: 864, refused: "size" };

beforeAll(async () => {
  project = tmp("gptimg-core-project-");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-core", private: true, type: "module" }));
  await npmInstall([tarball("gptimg-core")], project);
  provider = await startOfflineProvider({ apiKey: KEY });
});
afterAll(async () => {
  await provider?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("@gptimg/core from its tarball, in a fresh project", () => {
  it("ships ESM, declarations, an exports map, sideEffects false and no runtime dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(project, "node_modules/@gptimg/core/package.json"), "utf8"));
    expect(pkg).toMatchObject({
      type: "module",
      sideEffects: false,
      license: "MIT",
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
    });
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.private).toBeUndefined();
  });

  it("works from Node", async () => {
    writeFileSync(join(project, "node.mjs"), `${program(provider.url)}\nconsole.log(JSON.stringify(seen));\n`);
    const r = await run(process.execPath, ["node.mjs"], { cwd: project });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject(expected);
  });

  it("works from Bun", async () => {
    writeFileSync(join(project, "bun.mjs"), `${program(provider.url)}\nconsole.log(JSON.stringify(seen));\n`);
    const r = await run(BUN, ["bun.mjs"], { cwd: project });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject(expected);
  });

  it("type-checks a TypeScript consumer against its declarations (and catches a wrong call)", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const opts = [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--lib",
      "es2023,dom",
    ];
    writeFileSync(
      join(project, "ok.mts"),
      'import { createImageClient, resolveSize, type ImageResult } from "@gptimg/core";\nconst c = createImageClient({ providers: [{ name: "p", profile: "openai" }] });\nexport const r: Promise<ImageResult> = c.generate({ prompt: "x" });\nexport const s: string = resolveSize("1:1").size;\n',
    );
    const ok = await run(process.execPath, [tsc, ...opts, "ok.mts"], { cwd: project });
    expect(ok.stdout).toBe("");
    expect(ok.code).toBe(0);
    writeFileSync(
      join(project, "bad.mts"),
      'import { resolveSize } from "@gptimg/core";\nexport const n: number = resolveSize("1:1").size;\n',
    );
    const bad = await run(process.execPath, [tsc, ...opts, "bad.mts"], { cwd: project });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain("TS2322");
  });

  it("bundles for the browser with esbuild: no Node built-ins, and only what is imported", async () => {
    const esbuild = join(ROOT, "node_modules/esbuild/bin/esbuild");
    writeFileSync(join(project, "browser.mjs"), `${program(provider.url)}\nglobalThis.seen = seen;\n`);
    const full = await run(
      esbuild,
      ["browser.mjs", "--bundle", "--format=esm", "--platform=browser", "--outfile=out/browser.js"],
      { cwd: project },
    );
    expect(full.code, full.stderr).toBe(0);
    const bundle = readFileSync(join(project, "out/browser.js"), "utf8");
    expect(bundle).not.toMatch(/\bfrom\s*"node:|require\("/);
    // sideEffects: false lets a bundler drop what is not imported
    writeFileSync(
      join(project, "small.mjs"),
      'import { resolveSize } from "@gptimg/core";\nconsole.log(resolveSize("16:9").size);\n',
    );
    const small = await run(
      esbuild,
      ["small.mjs", "--bundle", "--format=esm", "--platform=browser", "--minify", "--outfile=out/small.js"],
      { cwd: project },
    );
    expect(small.code, small.stderr).toBe(0);
    const smallBundle = readFileSync(join(project, "out/small.js"), "utf8");
    expect(smallBundle).not.toContain("Base64StreamDecoder");
    expect(smallBundle.length).toBeLessThan(bundle.length / 2);
    // the browser bundle runs as it is (platform-neutral code): same results as Node and Bun
    writeFileSync(
      join(project, "out/run.mjs"),
      'await import("./browser.js");\nconsole.log(JSON.stringify(globalThis.seen));\n',
    );
    const r = await run(process.execPath, ["out/run.mjs"], { cwd: project });
    expect(JSON.parse(r.stdout)).toMatchObject(expected);
  });

  it("works in a Worker under wrangler dev", async () => {
    const worker = join(project, "worker");
    mkdirSync(join(worker, "src"), { recursive: true });
    writeFileSync(
      join(worker, "wrangler.jsonc"),
      JSON.stringify({ name: "uses-core", main: "src/index.mjs", compatibility_date: "2026-04-20" }),
    );
    writeFileSync(
      join(worker, "src/index.mjs"),
      `${IMPORTS}\nexport default { async fetch() {\n${body(provider.url)}\nreturn Response.json(seen); } };\n`,
    );
    const port = await freePort();
    const wrangler = spawn(
      join(ROOT, "node_modules/.bin/wrangler"),
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(await freePort()),
        "--persist-to",
        join(worker, ".state"),
        "--show-interactive-dev-session=false",
        "--log-level",
        "warn",
      ],
      {
        cwd: worker,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let log = "";
    wrangler.stdout.on("data", (d: Buffer) => (log += d.toString()));
    wrangler.stderr.on("data", (d: Buffer) => (log += d.toString()));
    try {
      let body: unknown;
      for (let i = 0; i < 240 && body === undefined; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          body = await res.json();
        } catch {
          if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited ${wrangler.exitCode}:\n${log}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      expect(body, log).toMatchObject(expected);
    } finally {
      if (wrangler.pid) process.kill(-wrangler.pid, "SIGKILL");
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}
