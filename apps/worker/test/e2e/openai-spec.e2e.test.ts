/**
 * The Worker's image responses and SSE events validated against OpenAI's own schemas
 * (test/spec/openai-images.schema.json, copied from openai/openai-openapi 2.3.0).
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../scripts/lib/stack.ts";
import { rgbPng } from "./support.ts";

const SPEC = JSON.parse(
  readFileSync(new URL("../spec/openai-images.schema.json", import.meta.url).pathname, "utf8"),
) as {
  components: { schemas: Record<string, unknown> };
};

// strictRequired off: ImageRefParam says "not both" as `not: { required: [image_url, file_id] }`,
// which names properties outside that subschema, as JSON Schema allows
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
ajv.addKeyword("x-stainless-const");
ajv.addKeyword("x-oaiTypeLabel");
ajv.addKeyword("example");
// the document keeps OpenAPI's layout: schemas under components.schemas, referenced by JSON pointer
ajv.addKeyword("components");
ajv.addFormat("unixtime", { type: "number", validate: (n: number) => Number.isInteger(n) && n > 0 });
ajv.addFormat("uri", (s: string) => URL.canParse(s) && /^[a-z][a-z0-9+.-]*:/i.test(s));
ajv.addSchema({ $id: "openai", components: SPEC.components });
const schema = (name: string): ValidateFunction => {
  const v = ajv.getSchema(`openai#/components/schemas/${name}`);
  if (!v) throw new Error(`no schema ${name}`);
  return v;
};

/** Asserts `value` matches the spec's schema `name`, naming every violation. */
function expectValid(name: string, value: unknown): void {
  const validate = schema(name);
  const ok = validate(value);
  const errors = (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`,
  );
  expect(errors, `${name}: ${JSON.stringify(value, (k, v) => (k === "b64_json" ? `(${v.length} chars)` : v))}`).toEqual(
    [],
  );
  expect(ok).toBe(true);
}

const EVENT_SCHEMA: Record<string, string> = {
  "image_generation.partial_image": "ImageGenPartialImageEvent",
  "image_generation.completed": "ImageGenCompletedEvent",
  "image_edit.partial_image": "ImageEditPartialImageEvent",
  "image_edit.completed": "ImageEditCompletedEvent",
};

function parseSse(text: string): Record<string, unknown>[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((b) =>
      JSON.parse(
        b
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n"),
      ),
    );
}

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack();
  token = await stack.createToken("spec", "sdk");
});
afterAll(() => stack?.stop());

const post = (path: string, body: BodyInit, json = true) =>
  fetch(`${stack.origin}/v1/images/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
    body,
  });

/** Every event of a streamed request, each validated against its schema. */
async function streamed(path: string, body: BodyInit, json = true): Promise<Record<string, unknown>[]> {
  const res = await post(path, body, json);
  expect(res.status).toBe(200);
  const events = parseSse(await res.text());
  for (const ev of events) {
    const name = EVENT_SCHEMA[ev.type as string];
    expect(name, `event type ${String(ev.type)}`).toBeDefined();
    expectValid(name as string, ev);
  }
  return events;
}

describe("Worker responses conform to OpenAI's OpenAPI schemas", () => {
  it("a generation without quality or background reports the resolved ones, never auto", async () => {
    const res = await post("generations", JSON.stringify({ prompt: "a red square", size: "1024x1024", n: 2 }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expectValid("ImagesResponse", body);
    expect(body).toMatchObject({ quality: "medium", background: "opaque", size: "1024x1024", output_format: "png" });
  });

  it("quality auto and a url response are resolved too", async () => {
    const res = await post(
      "generations",
      JSON.stringify({
        prompt: "a red square",
        size: "1536x1024",
        quality: "auto",
        background: "auto",
        response_format: "url",
      }),
    );
    const body = (await res.json()) as Record<string, unknown>;
    expectValid("ImagesResponse", body);
    expect(body).toMatchObject({ quality: "medium", background: "opaque", size: "1536x1024" });
  });

  it("a size outside the spec's enum is reported as the real WxH (gptimg's documented extension)", async () => {
    const res = await post("generations", JSON.stringify({ prompt: "wide", size: "2048x1152", quality: "low" }));
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.size).toBe("2048x1152");
    expectValid("ImagesResponse", { ...body, size: "1024x1024" });
  });

  it("every streamed generation event carries the required fields, usage on each completed event of n=2", async () => {
    const events = await streamed(
      "generations",
      JSON.stringify({ prompt: "two boats", size: "1024x1024", n: 2, stream: true, partial_images: 1 }),
    );
    const completed = events.filter((e) => e.type === "image_generation.completed");
    expect(completed).toHaveLength(2);
    for (const e of events) expect(e).toMatchObject({ quality: "medium", background: "opaque", size: "1024x1024" });
    for (const e of completed) expect((e.usage as { total_tokens: number }).total_tokens).toBeGreaterThan(0);
  });

  it("a streamed generation with response_format url still carries b64_json, the url beside it", async () => {
    const events = await streamed(
      "generations",
      JSON.stringify({ prompt: "a kite", size: "1024x1024", stream: true, response_format: "url", quality: "low" }),
    );
    const done = events.find((e) => e.type === "image_generation.completed");
    expect(done).toMatchObject({ quality: "low", background: "opaque" });
    expect(String(done?.url)).toMatch(new RegExp(`^${stack.origin}/files/`));
    expect(String(done?.b64_json).length).toBeGreaterThan(100);
  });

  it("a streamed edit's events conform, and a non-stream edit's body", async () => {
    const form = () => {
      const f = new FormData();
      f.append("image", new Blob([rgbPng(256, 256) as Uint8Array<ArrayBuffer>], { type: "image/png" }), "in.png");
      f.append("prompt", "add a hat");
      f.append("size", "1024x1024");
      return f;
    };
    const streamForm = form();
    streamForm.append("stream", "true");
    streamForm.append("partial_images", "1");
    streamForm.append("n", "2");
    const events = await streamed("edits", streamForm, false);
    expect(events.filter((e) => e.type === "image_edit.completed")).toHaveLength(2);
    expect(events.some((e) => e.type === "image_edit.partial_image")).toBe(true);
    const res = await post("edits", form(), false);
    expectValid("ImagesResponse", await res.json());
  });

  it("the JSON edit form (EditImageBodyJsonParam), sent by the openai SDK, edits and answers per the spec", async () => {
    // the SDK's images.edit always sends multipart; its generic post sends this body as JSON
    const client = new OpenAI({ baseURL: `${stack.origin}/v1`, apiKey: token, maxRetries: 0 });
    const dataUrl = `data:image/png;base64,${Buffer.from(rgbPng(256, 256)).toString("base64")}`;
    const body = {
      model: "gpt-image-2",
      prompt: "add a watercolor effect",
      images: [{ image_url: dataUrl }],
      size: "1024x1024",
      quality: "low",
      moderation: "low",
    };
    expectValid("EditImageBodyJsonParam", body);
    const answer = await client.post<Record<string, unknown>>("/images/edits", { body });
    expectValid("ImagesResponse", answer);
    expect(answer).toMatchObject({ size: "1024x1024", quality: "low" });
    // a file id is refused in the SDK's error shape, naming the field and what to send instead
    const byId = { prompt: "x", images: [{ file_id: "file-abc123" }] };
    expectValid("EditImageBodyJsonParam", byId);
    const refused = await client.post("/images/edits", { body: byId }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("images[0].file_id");
    expect((refused as Error).message).toMatch(/holds no Files API/);
  });
});
