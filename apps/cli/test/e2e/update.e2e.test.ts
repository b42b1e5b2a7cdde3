import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pkg from "../../../../package.json" with { type: "json" };
import { CANARY, run } from "../helpers.ts";

const target = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
let provider: OfflineProvider;
let server: Server;
let base: string;
/** what the release host serves as SHA256SUMS; every request is counted */
let sums = "";
let hits = 0;

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
  server = createServer((req, res) => {
    hits++;
    if (req.url === "/releases/SHA256SUMS") res.writeHead(200).end(sums);
    else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`;
});
afterAll(async () => {
  await provider?.close();
  await new Promise((ok) => server?.close(ok));
});

const doctor = (args: string[]) =>
  run(["doctor", ...args], {
    env: { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY, GPTIMG_DOWNLOAD_URL: base },
  });
const line = (name: string, sha: string) => `${"ab".repeat(32)}  gptimg-${name}-${target}\n${sha}`;

describe("gptimg doctor --check-update", () => {
  it("never asks the release host unless told to", async () => {
    hits = 0;
    const r = await doctor([]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^\S+\s+update/m);
    expect(hits).toBe(0);
  });

  it("says when a newer release exists, naming both versions", async () => {
    sums = line("99.0.0", `${"cd".repeat(32)}  gptimg-99.0.0-windows-x64.exe\n`);
    hits = 0;
    const r = await doctor(["--check-update"]);
    expect(hits).toBe(1);
    expect(r.code).toBe(0); // a newer release is news, not a failure
    expect(r.stdout).toMatch(
      new RegExp(`^warn\\s+update\\s+gptimg 99\\.0\\.0 is out \\(this is ${pkg.version}\\)`, "m"),
    );
  });

  it("says this is the latest when it is, and reads --json", async () => {
    sums = line(pkg.version, "");
    const r = await doctor(["--check-update", "--json"]);
    const out = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] };
    expect(out.checks.find((c) => c.name === "update")).toEqual({
      name: "update",
      status: "ok",
      detail: `${pkg.version} is the latest release`,
    });
  });

  it("an unreachable or empty release host is a warning, not a failure", async () => {
    sums = "";
    const r = await doctor(["--check-update"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^warn\\s+update\\s+${base}/SHA256SUMS lists no gptimg binary for ${target}`, "m"),
    );
    const gone = await run(["doctor", "--check-update"], {
      env: { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY, GPTIMG_DOWNLOAD_URL: "http://127.0.0.1:9/x" },
    });
    expect(gone.code).toBe(0);
    expect(gone.stdout).toMatch(/^warn\s+update\s+could not check http:\/\/127\.0\.0\.1:9\/x\/SHA256SUMS/m);
  });
});
