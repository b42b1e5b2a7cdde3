/**
 * MCP benchmark (figures, never pass/fail): one `generate_image` call to a running `gptimg mcp`
 * against the same `gptimg generate` run as its own process, both with the compiled binary and
 * the offline provider (no latency, 1024x1024 PNG); then the first call of a fresh server
 * (spawn, initialize, list, call). Runs are interleaved so background load hits both alike.
 * Run: npm run bench -w apps/cli (builds dist/gptimg first through turbo, or run the build).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOfflineProvider } from "@gptimg/offline-provider";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/gptimg");
const RUNS = 20;
const COLD_RUNS = 5;
const work = mkdtempSync(join(tmpdir(), "gptimg-mcp-bench-"));

if (!existsSync(bin))
  spawnSync(join(root, "../../node_modules/.bin/bun"), ["scripts/build.ts"], { cwd: root, stdio: "inherit" });

const provider = await startOfflineProvider({ apiKey: "bench-key-1" });
const env = {
  PATH: process.env.PATH ?? "",
  HOME: work,
  XDG_CONFIG_HOME: join(work, ".config"),
  GPTIMG_BASE_URL: provider.url,
  GPTIMG_API_KEY: "bench-key-1",
};
const args = { prompt: "a lighthouse", size: "1024x1024", quality: "low" };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function cli(i: number): Promise<number> {
  const t = performance.now();
  const child = spawn(
    bin,
    ["generate", args.prompt, "-s", args.size, "-q", args.quality, "--json", "-o", join(work, `cli${i}/`)],
    { env, cwd: work, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok, fail) =>
    child.on("close", (code) => (code === 0 ? ok(performance.now() - t) : fail(new Error(`gptimg: ${stderr}`)))),
  );
}

async function connect(): Promise<Client> {
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(
    new StdioClientTransport({ command: bin, args: ["mcp", "--out", work], env, cwd: work, stderr: "ignore" }),
  );
  return client;
}

async function mcp(client: Client, i: number): Promise<number> {
  const t = performance.now();
  const r = (await client.callTool({
    name: "generate_image",
    arguments: { ...args, out: `mcp${i}/` },
  })) as CallToolResult;
  const ms = performance.now() - t;
  if (r.isError) throw new Error(JSON.stringify(r.content));
  return ms;
}

const client = await connect();
for (let i = 0; i < 2; i++) {
  await cli(-1 - i);
  await mcp(client, -1 - i);
}
const times = { cli: [] as number[], mcp: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  times.cli.push(await cli(i));
  times.mcp.push(await mcp(client, i));
}
await client.close();

const cold: number[] = [];
for (let i = 0; i < COLD_RUNS; i++) {
  const t = performance.now();
  const c = await connect();
  await c.listTools();
  await mcp(c, 100 + i);
  cold.push(performance.now() - t);
  await c.close();
}
await provider.close();
rmSync(work, { recursive: true, force: true });

const row = (name: string, xs: number[]): string =>
  `| ${name} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${(median(xs) - median(times.cli)).toFixed(1)} ms |`;
console.log(
  `\nMCP generate_image vs gptimg generate, 1024x1024 PNG, offline provider (${RUNS} runs, cold ${COLD_RUNS}):\n`,
);
console.log("| how | median ms | min ms | median − CLI median |");
console.log("|---|---:|---:|---:|");
console.log(row("`gptimg generate --json` (a process per image)", times.cli));
console.log(row("MCP `generate_image` (running `gptimg mcp`)", times.mcp));
console.log(row("MCP first call (spawn, initialize, list, call)", cold));
