import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_SECRETS, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { pngSize, rgbaPng, rgbPng } from "./support.ts";

let stack: Stack;
let client: OpenAI;
/** What wrangler and workerd print (the Worker's console included) while this file runs. */
const workerdLines: string[] = [];

beforeAll(async () => {
  stack = await startStack({ log: (line) => workerdLines.push(line) });
  const token = await stack.createToken("e2e", "sdk");
  client = new OpenAI({ baseURL: `${stack.origin}/v1`, apiKey: token, maxRetries: 0 });
});
afterAll(() => stack?.stop());

const decode = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

describe("the openai SDK against the Worker", () => {
  it("images.generate returns base64 images of the requested size", async () => {
    const before = stack.provider.count("/images/generations");
    const res = await client.images.generate({ model: "gpt-image-2", prompt: "a red square", size: "1536x1024", n: 2 });
    expect(res.data).toHaveLength(2);
    for (const d of res.data ?? []) expect(pngSize(decode(d.b64_json ?? ""))).toEqual({ width: 1536, height: 1024 });
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  });

  it("images.generate with response_format url returns signed URLs that download the image", async () => {
    const res = await client.images.generate({
      model: "gpt-image-2",
      prompt: "a blue circle",
      size: "1024x1024",
      response_format: "url",
    });
    const url = res.data?.[0]?.url ?? "";
    expect(url).toMatch(new RegExp(`^${stack.origin}/files/t/e2e/.+\\?exp=\\d+&kid=dev1&sig=`));
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(pngSize(new Uint8Array(await file.arrayBuffer()))).toEqual({ width: 1024, height: 1024 });
    const tampered = await fetch(url.replace(/sig=./, (m) => (m.endsWith("A") ? "sig=B" : "sig=A")));
    expect(tampered.status).toBe(403);
  });

  it("images.edit sends several images and a mask upstream", async () => {
    const images = [
      await toFile(rgbPng(512, 512), "dog.png", { type: "image/png" }),
      await toFile(rgbPng(256, 256), "ref.png", { type: "image/png" }),
    ];
    const mask = await toFile(rgbaPng(512, 512), "mask.png", { type: "image/png" });
    const res = await client.images.edit({
      model: "gpt-image-2",
      image: images,
      mask,
      prompt: "add a red scarf",
      size: "1024x1024",
    });
    expect(pngSize(decode(res.data?.[0]?.b64_json ?? ""))).toEqual({ width: 1024, height: 1024 });
    const upstream = stack.provider.requests.filter((r) => r.path.endsWith("/images/edits")).at(-1);
    expect(upstream?.files.filter((f) => f.field.startsWith("image"))).toHaveLength(2);
    expect(upstream?.files.some((f) => f.field === "mask")).toBe(true);
    expect(upstream?.fields.prompt).toBe("add a red scarf");
  });

  it("images.generate with stream: true yields partial images, then the completed image", async () => {
    const stream = await client.images.generate({
      model: "gpt-image-2",
      prompt: "a green triangle",
      size: "1024x1024",
      stream: true,
      partial_images: 2,
    });
    const types: string[] = [];
    let final: Uint8Array | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === "image_generation.completed") final = decode(ev.b64_json);
    }
    expect(types.filter((t) => t === "image_generation.partial_image")).toHaveLength(2);
    expect(types.at(-1)).toBe("image_generation.completed");
    expect(pngSize(final ?? new Uint8Array())).toEqual({ width: 1024, height: 1024 });
  });

  it("maps a provider refusal to OpenAI's error shape without leaking the provider key", async () => {
    stack.provider.setFaults([
      { kind: "status", status: 400, message: "Your request was rejected by the safety system." },
    ]);
    const err = await client.images.generate({ model: "gpt-image-2", prompt: "refused" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const apiErr = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiErr.message).toContain("Your request was rejected by the safety system.");
    expect(JSON.stringify(apiErr.error)).not.toContain(DEV_SECRETS.PROVIDER_API_KEY);
  });

  it("names a presigned edit input it could not download without its signature, in the error and workerd's output", async () => {
    const sig = "canary-presigned-signature-e2e";
    const url = `https://gptimg-e2e-bucket.s3.amazonaws.com/in.png?X-Amz-Credential=me&X-Amz-Signature=${sig}`;
    const before = stack.provider.count("/images/edits");
    const err = await client
      .post("/images/edits", { body: { prompt: "a scarf", images: [{ image_url: url }] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const apiErr = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiErr.message).toContain("images[0].image_url https://gptimg-e2e-bucket.s3.amazonaws.com/in.png?…");
    expect(`${apiErr.message}\n${JSON.stringify(apiErr.error)}\n${workerdLines.join("\n")}`).not.toContain(sig);
    expect(stack.provider.count("/images/edits")).toBe(before);
  });

  it("rejects a wrong token with 401", async () => {
    const bad = new OpenAI({ baseURL: `${stack.origin}/v1`, apiKey: "gpi_not_a_real_token", maxRetries: 0 });
    await expect(bad.images.generate({ prompt: "x" })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
