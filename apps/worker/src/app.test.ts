import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectNoCanary, memberToken } from "../test/gateway-support.ts";
import type { openapiDocument } from "./routes/openapi/index.ts";

describe("GET /v1/models", () => {
  it("lists configured models in OpenAI's shape", async () => {
    const { token } = await memberToken();
    const res = await call("/v1/models", { token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe("list");
    expect(body.data).toContainEqual({ id: "gpt-image-2", object: "model", created: 0, owned_by: "gptimg" });
  });

  it("filters by the token's allowed models; GET /v1/models/:id answers 404 outside them", async () => {
    const { app } = await import("./app.ts");
    const cfg = {
      ...env,
      PROVIDER_FALLBACKS: JSON.stringify([
        { name: "backup", profile: "custom", baseUrl: "http://backup.test/v1", model: "canvas-20" },
      ]),
    };
    const { token } = await memberToken({ models: ["canvas-20"] });
    const headers = { authorization: `Bearer ${token}` };
    const list = (await (await app.request("/v1/models", { headers }, cfg)).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(["canvas-20"]);
    expect((await app.request("/v1/models/canvas-20", { headers }, cfg)).status).toBe(200);
    expect((await app.request("/v1/models/gpt-image-2", { headers }, cfg)).status).toBe(404);
  });
});

describe("health, OpenAPI, unknown routes", () => {
  it("GET /healthz", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", db: "ok" });
  });

  it("GET /openapi.json describes every route of the Worker, jobs and webhooks included", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as typeof openapiDocument;
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual(
      [
        "POST /v1/images/generations",
        "POST /v1/images/edits",
        "GET /v1/models",
        "GET /v1/models/{id}",
        "GET /v1/usage",
        "POST /v1/jobs",
        "GET /v1/jobs",
        "GET /v1/jobs/{id}",
        "GET /v1/jobs/{id}/events",
        "GET /v1/callback-secret",
        "POST /admin/tokens",
        "GET /admin/tokens",
        "DELETE /admin/tokens/{id}",
        "GET /admin/usage",
        "GET /files/{key}",
        "POST /webhooks/slack",
        "POST /webhooks/discord",
        "POST /webhooks/telegram",
        "POST /webhooks/feishu",
        "POST /mcp",
        "GET /healthz",
        "GET /openapi.json",
        "POST /console/api/session",
        "GET /console/api/session",
        "DELETE /console/api/session",
        "GET /console/api/history",
        "GET /console/api/thumbnails/{job}/{index}",
        "GET /",
        "GET /assets/{file}",
      ].sort(),
    );
    // every $ref points at a component that exists
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, group, name] of refs)
      expect(
        (doc.components as Record<string, Record<string, unknown>>)[group as string]?.[name as string],
        `${group}/${name}`,
      ).toBeDefined();
    expectNoCanary(JSON.stringify(doc));
  });

  it("/openapi.json: every route that takes a token, and the console's sign-in, may answer 429 (wrong tokens)", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([p, o]) =>
      Object.entries(o).map(([m, op]) => ({ at: `${m} ${p}`, op })),
    );
    const taking = ops.filter(({ op }) => op.security?.length);
    expect(taking.length).toBeGreaterThan(10);
    for (const { at, op } of taking) expect(op.responses["429"], at).toBeDefined();
    expect(doc.paths["/console/api/session"]?.post?.responses["429"]).toBeDefined();
  });

  it("/openapi.json's image request bodies are core's option table, plus the gateway's response_format", async () => {
    const { imageRequestSchema } = await import("@gptimg/core");
    const doc = (await (await call("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    const { GenerateRequest, EditRequest } = doc.components.schemas;
    const { response_format: _g, ...generate } = imageRequestSchema("generate", "json").properties;
    const { response_format: _e, ...edit } = imageRequestSchema("edit", "multipart").properties;
    expect(GenerateRequest?.properties).toMatchObject(generate);
    expect(Object.keys(GenerateRequest?.properties ?? {}).sort()).toEqual(
      [...Object.keys(generate), "response_format"].sort(),
    );
    expect(GenerateRequest?.properties.response_format).toMatchObject({ enum: ["b64_json", "url"] });
    expect(GenerateRequest?.properties.style).toMatchObject({ enum: ["vivid", "natural"] });
    expect(EditRequest?.properties).toMatchObject(edit);
    expect(EditRequest?.required).toEqual(["prompt", "image"]);
    expect(EditRequest?.properties.moderation).toBeUndefined();
    // the spec's JSON edit form: images by reference, moderation carried
    const { EditJsonRequest } = doc.components.schemas;
    expect(EditJsonRequest?.required).toEqual(["prompt", "images"]);
    expect(EditJsonRequest?.properties.images).toMatchObject({ type: "array", maxItems: 16 });
    expect(EditJsonRequest?.properties.moderation).toMatchObject({ enum: ["low", "auto"] });
    const edits = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
    };
    expect(Object.keys(edits.paths["/v1/images/edits"]!.post.requestBody.content)).toEqual([
      "multipart/form-data",
      "application/json",
    ]);
  });

  it("/openapi.json states the bounds POST /admin/tokens checks: its maximum is taken, one more is a 400 naming the field", async () => {
    interface Prop {
      maximum?: number;
      anyOf?: { items?: { maxLength?: number } }[];
    }
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, Prop> } }> } } }
      >;
    };
    const props = doc.paths["/admin/tokens"]!.post.requestBody.content["application/json"]!.schema.properties;
    const longest = props.models?.anyOf?.[0]?.items?.maxLength;
    const bounds: [string, number | undefined, (n: number) => unknown][] = [
      ["expires_in_days", props.expires_in_days?.maximum, (n) => n],
      ["daily_image_quota", props.daily_image_quota?.maximum, (n) => n],
      ["rpm", props.rpm?.maximum, (n) => n],
      ["models", longest, (n) => ["m".repeat(n)]],
    ];
    expect(bounds.map(([, max]) => max)).toEqual([3650, 1_000_000, 100_000, 128]);
    const create = (field: string, value: unknown) =>
      call("/admin/tokens", {
        token: env.ADMIN_TOKEN as string,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ team: "spec-bounds", member: "m", [field]: value }),
      });
    for (const [field, max, value] of bounds) {
      const ok = await create(field, value(max!));
      expect(ok.status, `${field} at ${max}`).toBe(201);
      await ok.arrayBuffer();
      const over = await create(field, value(max! + 1));
      expect(over.status, `${field} at ${max! + 1}`).toBe(400);
      expect(((await over.json()) as { error: { param: string } }).error.param).toBe(field);
    }
  });

  it("/openapi.json describes Gptimg-Skip-Model-Rules on the image and job routes, Gptimg-Unsent-Options on the image routes", async () => {
    interface Op {
      parameters?: { name: string; in: string; schema: { enum?: string[] }; description?: string }[];
      responses: Record<string, { headers?: Record<string, { description?: string; schema: { type: string } }> }>;
    }
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, { post: Op }> };
    for (const path of ["/v1/images/generations", "/v1/images/edits", "/v1/jobs"]) {
      const skip = doc.paths[path]?.post.parameters?.find((p) => p.name === "Gptimg-Skip-Model-Rules");
      expect(skip, path).toMatchObject({ in: "header", schema: { enum: ["true", "false"] } });
      expect(skip?.description, path).toMatch(/SKIP_MODEL_RULES/);
    }
    for (const path of ["/v1/images/generations", "/v1/images/edits"]) {
      const unsent = doc.paths[path]?.post.responses["200"]?.headers?.["Gptimg-Unsent-Options"];
      expect(unsent, path).toMatchObject({ schema: { type: "string" } });
      expect(unsent?.description, path).toMatch(/leaves out/);
    }
    expect(doc.paths["/v1/jobs"]?.post.responses["202"]?.headers).toBeUndefined();
  });

  it("404 in OpenAI's error shape for an unknown route", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: "GET /nope: no such route", type: "invalid_request_error", code: "not_found", param: null },
    });
  });
});
