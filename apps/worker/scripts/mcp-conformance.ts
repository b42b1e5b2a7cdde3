/**
 * Runs the MCP conformance suite's server scenarios (`@modelcontextprotocol/conformance`) against
 * the Worker's `/mcp` under `wrangler dev`. The suite's client sends no Authorization header, so
 * a proxy on 127.0.0.1 adds a member token to every request it forwards to `/mcp`, and nothing
 * else. The suite needs Node 22 (fs.globSync) or Bun: it runs under the Bun the CLI builds with.
 * Usage: npx tsx scripts/mcp-conformance.ts [scenario]   (default: every server scenario)
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startStack, WORKER_DIR } from "./lib/stack.ts";

const SUITE = "@modelcontextprotocol/conformance@0.1.16";

const stack = await startStack();
const token = await stack.createToken("conformance", "suite");
let proxyOrigin = "";
const proxy = createServer(async (req, res) => {
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    headers.set("authorization", `Bearer ${token}`);
    // a page served by this proxy is served by the Worker: its own origin maps to the Worker's
    if (headers.get("origin") === proxyOrigin) headers.set("origin", stack.origin);
    const upstream = await fetch(`${stack.origin}/mcp`, {
      method: req.method,
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    const reader = upstream.body?.getReader();
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const };
      if (chunk.done) break;
      res.write(chunk.value);
    }
    res.end();
  } catch {
    // the suite closed a stream it opened (an SSE GET): nothing more to forward
    res.destroy();
  }
});
await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
proxyOrigin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
const url = `${proxyOrigin}/mcp`;
const bun = join(WORKER_DIR, "../../node_modules/.bin/bun");
const scenario = process.argv[2];
const outDir = process.env.CONFORMANCE_OUT;
const code = await new Promise<number>((done) => {
  const args = ["x", "--bun", SUITE, "server", "--url", url, ...(scenario ? ["--scenario", scenario] : [])];
  if (outDir) args.push("--output-dir", outDir);
  const child = spawn(bun, args, { stdio: "inherit" });
  child.once("exit", (c) => done(c ?? 1));
});
proxy.close();
await stack.stop();
process.exit(code);
