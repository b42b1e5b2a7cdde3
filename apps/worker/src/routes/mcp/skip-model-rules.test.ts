import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { memberToken, ORIGIN, providerPerTest } from "../../../test/gateway-support.ts";

const start = providerPerTest();
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

/** A real MCP client of the Worker's `/mcp`, its requests sent to the Worker's fetch handler. */
async function connect(token: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = new Client({ name: "gptimg-test", version: "1.0.0" });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${ORIGIN}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
      fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    }),
  );
  client = c;
  return c;
}

const text = (r: CallToolResult) =>
  r.content
    .filter((x) => x.type === "text")
    .map((x) => x.text)
    .join("\n");

// style is dall-e-3's: gptimg's table refuses it on gpt-image-2; the offline provider accepts it
const STYLED = { prompt: "a lighthouse", model: "gpt-image-2", style: "vivid", size: "1024x1024", wait_seconds: 20 };

describe("/mcp: the skip_model_rules argument", () => {
  it("generate_image and edit_image take skip_model_rules", async () => {
    const { token } = await memberToken({ team: "mcp-skip-list" });
    const { tools } = await (await connect(token)).listTools();
    for (const name of ["generate_image", "edit_image"]) {
      const props = tools.find((t) => t.name === name)?.inputSchema.properties as Record<string, { type: string }>;
      expect(props.skip_model_rules, name).toMatchObject({ type: "boolean" });
    }
  });

  it("a refusal by the table names skip_model_rules; with it true the provider decides", async () => {
    const side = start();
    const { token } = await memberToken({ team: "mcp-skip" });
    const c = await connect(token);
    const refused = (await c.callTool({ name: "generate_image", arguments: STYLED })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain(
      "style vivid: is not supported by gpt-image-2 (dall-e-3 takes it) (gptimg's model table; skip_model_rules: true lets the provider decide)",
    );
    expect(side.calls).toEqual([]);
    const made = (await c.callTool({
      name: "generate_image",
      arguments: { ...STYLED, skip_model_rules: true },
    })) as CallToolResult;
    expect(made.isError, text(made)).toBeFalsy();
    expect(made.structuredContent).toMatchObject({ status: "succeeded" });
    expect(side.calls).toHaveLength(1);
  });

  it("without the argument the request's Gptimg-Skip-Model-Rules header decides", async () => {
    const side = start();
    const { token } = await memberToken({ team: "mcp-skip-header" });
    const c = await connect(token, { "Gptimg-Skip-Model-Rules": "true" });
    const made = (await c.callTool({ name: "generate_image", arguments: STYLED })) as CallToolResult;
    expect(made.isError, text(made)).toBeFalsy();
    expect(side.calls).toHaveLength(1);
    // the argument wins over the header
    const refused = (await c.callTool({
      name: "generate_image",
      arguments: { ...STYLED, skip_model_rules: false },
    })) as CallToolResult;
    expect(text(refused)).toContain("(gptimg's model table; skip_model_rules: true lets the provider decide)");
    expect(side.calls).toHaveLength(1);
  });
});
