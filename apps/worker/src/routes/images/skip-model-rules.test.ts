import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { encodeBase64, inspectImage } from "@gptimg/core";
import OpenAI, { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import { decodeB64, memberToken, ORIGIN, providerPerTest } from "../../../test/gateway-support.ts";
import { introspectJobs } from "../../../test/jobs-support.ts";
import { sdkClient as client } from "../../../test/sdk-client.ts";
import worker from "../../index.ts";
import { getJob } from "../../jobs/repo.ts";

const start = providerPerTest();

/** The Worker's words after a refusal by gptimg's model table (core's option name is not among them). */
const HTTP_OVERRIDE =
  "(gptimg's model table; send `Gptimg-Skip-Model-Rules: true`, or set SKIP_MODEL_RULES, to let the provider decide)";

/** The API error a call threw (the test fails if it did not throw one), with the body's message. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string; param: string | null }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(OpenAI.APIError);
  const { status, error } = e as InstanceType<typeof OpenAI.APIError>;
  const body = error as { message: string; param: string | null };
  return { status: status as number, message: body.message, param: body.param };
}

// style is dall-e-3's: gptimg's table refuses it on gpt-image-2; the offline provider accepts it
const STYLED = { prompt: "a lighthouse", model: "gpt-image-2", style: "vivid", size: "1024x1024" } as const;

describe("gptimg's model table: the Gptimg-Skip-Model-Rules header and the SKIP_MODEL_RULES var", () => {
  it("a refusal by the table names the Worker's switches, and nothing reaches the provider", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-refused" });
    const e = await refusal(client(token).images.generate(STYLED));
    expect(e.status).toBe(400);
    expect(e.message).toContain(`style vivid: is not supported by gpt-image-2 (dall-e-3 takes it) ${HTTP_OVERRIDE}`);
    expect(e.message).not.toContain("skipModelRules");
    expect(e.param).toBe("style");
    expect(side.calls).toEqual([]);
  });

  it("with the header true the request reaches the provider, which takes it", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-header" });
    const res = await client(token, { headers: { "Gptimg-Skip-Model-Rules": "true" } }).images.generate(STYLED);
    expect(inspectImage(decodeB64(res.data?.[0]?.b64_json ?? ""))).toMatchObject({ ok: true, width: 1024 });
    expect(side.calls.map((c) => c.url)).toEqual([`${env.PROVIDER_BASE_URL}/images/generations`]);
  });

  it("with the header true a size the table refuses goes to the provider, and the provider's refusal comes back", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-provider-decides" });
    const body = { prompt: "x", model: "gpt-image-1", size: "2048x2048" } as const;
    const refused = await refusal(client(token).images.generate(body));
    expect(refused.message).toContain(`gpt-image-1 supports only 1024x1024, 1536x1024, 1024x1536 ${HTTP_OVERRIDE}`);
    expect(side.calls).toEqual([]);
    const e = await refusal(client(token, { headers: { "Gptimg-Skip-Model-Rules": "true" } }).images.generate(body));
    expect(side.calls).toHaveLength(1);
    // the offline provider's own words (it knows gpt-image-1's sizes too), not gptimg's table
    expect(e.message).toMatch(/2048x2048/);
    expect(e.message).not.toContain("gptimg's model table");
    const row = await env.DB.prepare("SELECT requested_size FROM jobs WHERE team = ? ORDER BY rowid DESC LIMIT 1")
      .bind("skip-provider-decides")
      .first<{ requested_size: string | null }>();
    // the size as sent: resolved without the table
    expect(row?.requested_size).toBe("2048x2048");
  });

  it("a multipart edit and a JSON edit honour the header", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-edit" });
    const image = await toFile(png({ width: 64, height: 32 }), "wide.png", { type: "image/png" });
    // dall-e-2 edits only square PNGs (gptimg's table)
    const edit = { prompt: "a hat", model: "dall-e-2", size: "256x256" } as const;
    const refused = await refusal(client(token).images.edit({ ...edit, image }));
    expect(refused.message).toContain(`must be square for dall-e-2 (is 64x32) ${HTTP_OVERRIDE}`);
    const skip = client(token, { headers: { "Gptimg-Skip-Model-Rules": "true" } });
    const res = await skip.images.edit({ ...edit, image });
    expect(res.data).toHaveLength(1);
    const json = await skip.post<{ data: unknown[] }>("/images/edits", {
      body: {
        ...edit,
        images: [{ image_url: `data:image/png;base64,${encodeBase64(png({ width: 64, height: 32 }))}` }],
      },
    });
    expect(json.data).toHaveLength(1);
    expect(side.calls.map((c) => new URL(c.url).pathname)).toEqual(["/v1/images/edits", "/v1/images/edits"]);
  });

  it("SKIP_MODEL_RULES=true does the same for a request without the header; the header false overrides it", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-var" });
    const res = await client(token, { vars: { SKIP_MODEL_RULES: "true" } }).images.generate(STYLED);
    expect(res.data).toHaveLength(1);
    expect(side.calls).toHaveLength(1);
    const off = client(token, { vars: { SKIP_MODEL_RULES: "true" }, headers: { "Gptimg-Skip-Model-Rules": "false" } });
    expect((await refusal(off.images.generate(STYLED))).message).toContain(HTTP_OVERRIDE);
    expect(side.calls).toHaveLength(1);
  });

  it("a header other than true/false is a 400 naming the header, the value and the rule", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-bad-header" });
    const e = await refusal(
      client(token, { headers: { "Gptimg-Skip-Model-Rules": "yes" } }).images.generate({ prompt: "x" }),
    );
    expect(e.status).toBe(400);
    expect(e.message).toBe('Gptimg-Skip-Model-Rules "yes": must be "true" or "false"');
    expect(e.param).toBe("Gptimg-Skip-Model-Rules");
    expect(side.calls).toEqual([]);
  });

  it("a SKIP_MODEL_RULES other than true/false is named by the refusal and by /healthz", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-bad-var" });
    const e = await refusal(client(token, { vars: { SKIP_MODEL_RULES: "yes" } }).images.generate({ prompt: "x" }));
    expect(e.status).toBe(500);
    expect(e.message).toBe('internal error: SKIP_MODEL_RULES "yes": must be "true" or "false" (unset means false)');
    expect(side.calls).toEqual([]);
    const ctx = createExecutionContext();
    const health = await worker.fetch(
      new Request(`${ORIGIN}/healthz`) as Parameters<typeof worker.fetch>[0],
      { ...env, SKIP_MODEL_RULES: "yes" } as typeof env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { problems: string[] }).problems).toContain(
      'SKIP_MODEL_RULES "yes": must be "true" or "false" (unset means false)',
    );
  });

  it("POST /v1/jobs honours the header: the job is built without the table and the provider answers", async () => {
    const side = start();
    const { token } = await memberToken({ team: "skip-job" });
    const jobs = client(token);
    const refused = await refusal(jobs.post("/jobs", { body: STYLED }));
    expect(refused.message).toContain(HTTP_OVERRIDE);
    await using wf = await introspectJobs();
    const created = await jobs.post<{ id: string }>("/jobs", {
      body: STYLED,
      headers: { "Gptimg-Skip-Model-Rules": "true" },
    });
    for (const instance of wf.get()) await instance.waitForStatus("complete");
    const row = await getJob(env.DB, created.id);
    expect(row?.status).toBe("succeeded");
    expect(JSON.parse(row?.request_json ?? "{}")).toMatchObject({ style: "vivid", skipModelRules: true });
    expect(side.calls.map((c) => c.url)).toEqual([`${env.PROVIDER_BASE_URL}/images/generations`]);
  });
});
