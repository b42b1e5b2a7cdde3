import { encodeBase64 } from "@gptimg/core";
import type { StructuredImageResult } from "@gptimg/mcp-tools";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_SECRETS, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { pngSize, rgbaPng } from "./support.ts";

/** The structured result, with the fields these tests read made required. */
type Structured = Required<Omit<StructuredImageResult, "images">> & {
  images: Required<StructuredImageResult["images"][number]>[];
};
const st = (r: CallToolResult) => r.structuredContent as unknown as Structured;

/** A small cap, so the size rule shows: previews of the offline provider's images never fit. */
const CAP = 16384;
const SECRETS = [DEV_SECRETS.PROVIDER_API_KEY, DEV_SECRETS.ADMIN_TOKEN, "canary-signing-key-local-dev-0123456789"];

let stack: Stack;
let token: string;
let client: Client;

async function connect(bearer: string): Promise<Client> {
  const c = new Client({ name: "gptimg-e2e", version: "1.0.0" });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${stack.origin}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    }),
  );
  return c;
}

async function adminToken(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.origin}/admin/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { token: string }).token;
}

const call = (c: Client, name: string, args: Record<string, unknown>) =>
  c.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) =>
  r.content
    .filter((x) => x.type === "text")
    .map((x) => x.text)
    .join("\n");

/** Every result must stay free of secrets and within the cap. */
function checked(r: CallToolResult): CallToolResult {
  const json = JSON.stringify(r);
  for (const s of [...SECRETS, token]) expect(json).not.toContain(s);
  expect(new TextEncoder().encode(json).length).toBeLessThanOrEqual(CAP);
  return r;
}

beforeAll(async () => {
  stack = await startStack({ vars: { MCP_MAX_RESULT_BYTES: String(CAP) } });
  token = await stack.createToken("e2e", "mcp");
  client = await connect(token);
});
afterAll(async () => {
  await client?.close();
  await stack?.stop();
});
beforeEach(() => stack.provider.setFaults([]));

describe("/mcp authentication", () => {
  it.each([
    ["no token", undefined, 'Bearer realm="gptimg"'],
    ["a wrong token", "gpi_not_a_real_token", 'error="invalid_token"'],
  ])("%s: 401 with WWW-Authenticate", async (_name, bearer, challenge) => {
    const res = await fetch(`${stack.origin}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(challenge);
    await res.body?.cancel();
  });

  it("refused POSTs in a row each get their own 401, never a 503 for the one before", async () => {
    // an answer sent before its body was read used to break the connection under wrangler dev;
    // from an address of its own: 20 wrong tokens lock out the one they come from (lib/auth-limit.ts)
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${stack.origin}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer gpi_wrong",
          "cf-connecting-ip": "198.51.100.90",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" }),
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual(Array(20).fill(401));
  });

  it("a request from another Origin is refused (DNS rebinding); the Worker's own origin is served", async () => {
    const post = (origin: string) =>
      fetch(`${stack.origin}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${token}`,
          origin,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
    const evil = await post("http://evil.example.com");
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { message: string } }).error.message).toContain(
      "Origin http://evil.example.com: /mcp answers requests from",
    );
    const own = await post(stack.origin);
    expect(own.status).toBe(200);
    await own.body?.cancel();
  });

  it("the SDK client cannot connect with a wrong token", async () => {
    await expect(connect("gpi_wrong")).rejects.toThrow(/invalid token/);
  });
});

describe("/mcp tools over Streamable HTTP", () => {
  it("lists the four tools with the gateway's inputs", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["edit_image", "generate_image", "get_job", "resolve_size"]);
    const gen = tools.find((t) => t.name === "generate_image")!;
    const props = gen.inputSchema.properties as Record<string, { enum?: string[] }>;
    expect(props.quality?.enum).toEqual(expect.arrayContaining(["low", "medium", "high", "auto"]));
    expect(props.wait_seconds).toBeDefined();
    expect(props.out).toBeUndefined();
  });

  it("generate_image: a signed URL per image, the job id, usage and cost, progress on the way", async () => {
    const steps: string[] = [];
    const r = checked(
      (await client.callTool(
        { name: "generate_image", arguments: { prompt: "a lighthouse", size: "16:9" } },
        undefined,
        {
          onprogress: (p) => steps.push(p.message ?? ""),
        },
      )) as CallToolResult,
    );
    expect(r.isError).toBeFalsy();
    const sc = st(r);
    expect(sc).toMatchObject({ status: "succeeded", model: "gpt-image-2", previews: 0 });
    expect(sc.job_id).toMatch(/^job_/);
    expect(sc.usage.total_tokens).toBeGreaterThan(0);
    expect(typeof sc.cost_usd).toBe("number");
    expect(sc.images).toHaveLength(1);
    const img = sc.images[0]!;
    expect(img).toMatchObject({ width: 1536, height: 864, format: "png", mime_type: "image/png" });
    expect(img.url).toMatch(new RegExp(`^${stack.origin}/files/.+sig=`));
    const link = r.content.find((x) => x.type === "resource_link");
    expect(link).toMatchObject({ uri: img.url, mimeType: "image/png" });
    const bytes = new Uint8Array(await (await fetch(img.url)).arrayBuffer());
    expect(bytes.length).toBe(img.bytes);
    expect(pngSize(bytes)).toEqual({ width: 1536, height: 864 });
    expect(steps.some((m) => m.includes(sc.job_id))).toBe(true);
  });

  it("edit_image takes a data URL and a mask of auto", async () => {
    const input = `data:image/png;base64,${encodeBase64(rgbaPng(256, 256))}`;
    const r = checked(
      await call(client, "edit_image", { prompt: "add a hat", images: [input], mask: "auto", size: "1024x1024" }),
    );
    expect(r.isError).toBeFalsy();
    expect(st(r).images[0]).toMatchObject({ width: 1024, height: 1024 });
  });

  it("edit_image refuses a local path: the gateway cannot read it", async () => {
    const r = checked(await call(client, "edit_image", { prompt: "x", images: ["./dog.png"] }));
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^error validation: images\[0\].*https URL or a data URL/);
  });

  it("a bad size is an isError result naming the nearest legal size", async () => {
    const r = checked(await call(client, "generate_image", { prompt: "x", size: "1920x1080" }));
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("nearest legal: 1920x1088");
    expect(text(r)).toMatch(/\nnext: /);
  });

  it("a provider refusal is an isError result with its stable code", async () => {
    const r = checked(await call(client, "generate_image", { prompt: "forbidden-content please" }));
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^error content_policy: /);
    expect(text(r)).toContain("job: job_");
  });

  it("a generation that outlasts wait_seconds answers with its job id; get_job finishes it", async () => {
    stack.provider.setFaults([{ kind: "latency", ms: 3000 }]);
    const r = checked(await call(client, "generate_image", { prompt: "a slow one", wait_seconds: 0 }));
    const sc = st(r);
    expect(["queued", "running"]).toContain(sc.status);
    expect(text(r)).toContain(`call get_job with id "${sc.job_id}"`);
    const done = checked(await call(client, "get_job", { id: sc.job_id, wait_seconds: 60 }));
    expect(done.structuredContent).toMatchObject({ status: "succeeded", job_id: sc.job_id });
  });

  it("get_job of an unknown job is a not_found error", async () => {
    const r = checked(await call(client, "get_job", { id: "job_nope", wait_seconds: 0 }));
    expect(text(r)).toMatch(/^error not_found: job job_nope not found/);
  });

  it("resolve_size explains a ratio and a refusal", async () => {
    const ok = checked(await call(client, "resolve_size", { size: "16:9" }));
    expect(ok.structuredContent).toMatchObject({ legal: true, size: "1536x864", source: "ratio" });
    const no = checked(await call(client, "resolve_size", { size: "5000x100" }));
    expect(no.structuredContent).toMatchObject({ legal: false });
    expect(no.structuredContent).toMatchObject({ nearest: expect.stringMatching(/^\d+x\d+$/) });
  });
});

describe("/mcp keeps the token's limits", () => {
  it("a model the token may not use, and a spent daily quota, are refused as on /v1", async () => {
    const limited = await connect(
      await adminToken({ team: "e2e", member: "ltd", models: ["gpt-image-2"], daily_image_quota: 1 }),
    );
    try {
      const model = await call(limited, "generate_image", { prompt: "x", model: "dall-e-3" });
      expect(text(model)).toMatch(/^error permission: model dall-e-3/);
      expect((await call(limited, "generate_image", { prompt: "one" })).isError).toBeFalsy();
      const over = await call(limited, "generate_image", { prompt: "two" });
      expect(text(over)).toMatch(/^error quota_exceeded: /);
    } finally {
      await limited.close();
    }
  });
});
