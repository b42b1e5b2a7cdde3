import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANARY, envelope, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
let env: Record<string, string>;
/** A presigned URL's signature: it must show in no output. */
const SIGNATURE = "canary-presigned-signature-cli";
let dir: string;

async function png(name: string, w: number, h: number, alpha: boolean): Promise<string> {
  const buf = await sharp({
    create: {
      width: w,
      height: h,
      channels: alpha ? 4 : 3,
      background: { r: 9, g: 99, b: 199, alpha: alpha ? 0.5 : 1 },
    },
  })
    .png()
    .toBuffer();
  writeFileSync(join(dir, name), buf);
  return name;
}

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
  dir = tmp();
  await png("dog.png", 1024, 1024, false);
  await png("ref.png", 512, 512, false);
  await png("mask.png", 1024, 1024, true);
  await png("mask-small.png", 512, 512, true);
  await png("mask-opaque.png", 1024, 1024, false);
  writeFileSync(join(dir, "notes.txt"), "this is not an image");
  // the first 100 bytes of a whole PNG: its header, then the file ends inside a chunk
  writeFileSync(join(dir, "cut.png"), readFileSync(join(dir, "dog.png")).subarray(0, 100));
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.clearRequests();
  env = { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
});

describe("gptimg edit", () => {
  it("sends each image as its own part with the mask and saves the result", async () => {
    const r = await run(
      [
        "edit",
        "put a red scarf on the dog",
        "-i",
        "dog.png",
        "-i",
        "ref.png",
        "--mask",
        "mask.png",
        "--json",
        "-o",
        "out/",
      ],
      {
        env,
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(envelope(r)).toMatchObject({ ok: true, command: "edit", images: [{ format: "png" }] });
    const req = provider.requests[0]!;
    expect(req.path).toBe("/v1/images/edits");
    expect(req.files.map((f) => [f.field, f.filename])).toEqual([
      ["image[]", "dog.png"],
      ["image[]", "ref.png"],
      ["mask", "mask.png"],
    ]);
    expect(req.fields.prompt).toBe("put a red scarf on the dog");
  });

  it("--dry-run lists form fields and files with sizes", async () => {
    const r = await run(["edit", "x", "-i", "dog.png", "--dry-run"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`POST ${provider.url}/images/edits`);
    expect(r.stdout).toMatch(/^prompt=x$/m);
    expect(r.stdout).toMatch(/^image=@dog\.png \(image\/png, \d+ bytes\)$/m);
    expect(provider.count()).toBe(0);
  });

  it("one image goes as `image`, as OpenAI's SDKs send it; fields the form or model lacks are named, not dropped silently", async () => {
    const r = await run(
      ["edit", "x", "-i", "dog.png", "--moderation", "low", "--input-fidelity", "high", "--json", "-o", "one/"],
      { env, cwd: dir },
    );
    expect(r.code).toBe(0);
    const req = provider.requests.at(-1)!;
    expect(req.files.map((f) => f.field)).toEqual(["image"]);
    expect(req.fields.moderation).toBeUndefined();
    expect(req.fields.input_fidelity).toBeUndefined();
    expect(r.stderr).toMatch(/note: moderation low is not sent: the multipart edit form has no moderation field/);
    expect(r.stderr).toMatch(/note: input_fidelity high is not sent: gpt-image-2 always edits at high fidelity/);
  });

  it.each([
    [
      "17 images",
      () => Array.from({ length: 17 }, () => ["-i", "ref.png"]).flat(),
      /^error: -i\/--image: 17 images given; at most 16 input images per edit$/m,
    ],
    ["a mask of the wrong size", () => ["-i", "dog.png", "--mask", "mask-small.png"], /mask/],
    ["a mask without alpha", () => ["-i", "dog.png", "--mask", "mask-opaque.png"], /mask/],
    ["a non-image file", () => ["--image", "notes.txt"], /^error: --image notes\.txt: must be PNG, JPEG or WebP/m],
    [
      "a PNG cut to its first 100 bytes",
      () => ["-i", "dog.png", "-i", "cut.png"],
      /^error: .*cut\.png.*must be a whole image \(PNG ends after 100 bytes, inside its \w+ chunk of \d+ bytes: the file is truncated\)$/m,
    ],
    ["a missing file", () => ["-i", "nope.png"], /^error: -i nope\.png: no such file or directory/m],
    [
      "a data URL that is not an image",
      () => ["--input", "data:text/plain,hello"],
      /^error: --input data:text\/plain,hello: must be an image data URL such as data:image\/png;base64,… with valid base64 \(this one's media type is not image\/…\)$/m,
    ],
    [
      "a data URL with invalid base64",
      () => ["-i", "dog.png", "-i", "data:image/png;base64,iVBO$$$$"],
      /^error: -i data:image\/png;base64,iVBO\$\$\$\$: must be an image data URL .* \(invalid base64 .*\)$/m,
    ],
    [
      "a data URL without a comma",
      () => ["-i", "data:image/png;base64"],
      /^error: -i .*a data URL without a comma\)$/m,
    ],
    [
      "a data URL of a PNG cut to its first 100 bytes",
      () => ["-i", `data:image/png;base64,${readFileSync(join(dir, "cut.png")).toString("base64")}`],
      /^error: -i data:image\/png;base64,iVBOR\w*…: must be a whole image \(PNG ends after 100 bytes/m,
    ],
    ["no image", () => [], /at least one -i IMAGE/],
  ])("%s exits 2 and sends nothing", async (_name, args, message) => {
    const r = await run(["edit", "x", ...args()], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(provider.count()).toBe(0);
  });

  it("-i takes a data URL: decoded and sent as a file beside the others, named by its format; --dry-run shows it", async () => {
    const dog = readFileSync(join(dir, "dog.png"));
    const url = `data:image/png;base64,${dog.toString("base64")}`;
    const dry = await run(["edit", "x", "-i", url, "-i", "ref.png", "--dry-run"], { env, cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`^image\\[\\]=@image-0\\.png \\(image/png, ${dog.byteLength} bytes\\)$`, "m"),
    );
    expect(provider.count()).toBe(0);
    const r = await run(["edit", "x", "-i", url, "-i", "ref.png", "--json", "-o", "data-url/"], { env, cwd: dir });
    expect(r.code).toBe(0);
    const req = provider.requests[0]!;
    expect(req.files.map((f) => [f.field, f.filename])).toEqual([
      ["image[]", "image-0.png"],
      ["image[]", "ref.png"],
    ]);
    expect(req.files[0]).toMatchObject({ type: "image/png", size: dog.byteLength });
  });

  it("generate with input images edits them; -i, --input and --edit-image add up in command-line order", async () => {
    const r = await run(
      ["generate", "--prompt", "x", "--input", "ref.png", "-i", "dog.png", "--edit-image", "ref.png", "--json"],
      { env, cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(envelope(r)).toMatchObject({ ok: true, command: "edit" });
    const req = provider.requests[0]!;
    expect(req.path).toBe("/v1/images/edits");
    expect(req.files.map((f) => f.filename)).toEqual(["ref.png", "dog.png", "ref.png"]);
  });

  it("--mask auto sends a fully transparent PNG the size of the first image", async () => {
    const r = await run(["edit", "x", "-i", "dog.png", "-i", "ref.png", "--mask", "auto", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    // the offline provider checks that a mask is a PNG with alpha the size of the first image
    const mask = provider.requests[0]!.files.find((f) => f.field === "mask")!;
    expect(mask).toMatchObject({ filename: "mask.png", type: "image/png" });
    const onGenerate = await run(["generate", "x", "--mask", "auto"], { env, cwd: dir });
    expect(onGenerate.code).toBe(2);
    expect(onGenerate.stderr).toContain("--mask: needs input images");
  });
});

describe("gptimg edit --image-url: the spec's JSON edit form where the provider takes it", () => {
  let images: Server;
  let refUrl: string;
  /** requests the input image server answered */
  let hits = 0;
  beforeAll(async () => {
    const ref = readFileSync(join(dir, "ref.png"));
    images = createServer((req, res) => {
      hits++;
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/missing.png") return res.writeHead(404).end("not found");
      if (path === "/text.png") return res.writeHead(200, { "content-type": "text/html" }).end("<html>error</html>");
      res.writeHead(200, { "content-type": "image/png" }).end(ref);
    });
    await new Promise<void>((r) => images.listen(0, "127.0.0.1", r));
    refUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/ref.png`;
  });
  afterAll(() => new Promise((r) => images.close(r)));

  it("openai: an https URL goes by reference, a file as a data URL, moderation with them; --dry-run says so", async () => {
    const url = "https://images.example.com/cat.png";
    const r = await run(
      ["edit", "x", "--image-url", url, "-i", "dog.png", "--moderation", "low", "--dry-run", "--json"],
      {
        env,
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    const body = envelope(r).request.body;
    // -i files come first, --image-url values after them
    expect(body.images).toEqual([
      { image_url: expect.stringMatching(/^data:image\/png;base64,… \(\d+ bytes\)$/) },
      { image_url: url },
    ]);
    expect(body.moderation).toBe("low");
    expect(r.stderr).toMatch(/note: the edit is sent as JSON \(the spec's JSON edit form\): 1 image\(s\) by URL/);
    expect(provider.count()).toBe(0);
  });

  it("a provider without the JSON form gets the image downloaded and sent as a file; --dry-run says so", async () => {
    const config = join(dir, "compat.json");
    writeFileSync(
      config,
      JSON.stringify({
        provider: "compat",
        providers: { compat: { profile: "openai-compatible", baseUrl: provider.url, apiKey: CANARY } },
      }),
    );
    const before = hits;
    const r = await run(["edit", "x", "--image-url", `${refUrl}?sig=secret`, "--config", config, "--dry-run"], {
      env: {},
      cwd: dir,
    });
    expect(r.code).toBe(0);
    // a dry-run sends nothing: the URL is shown in the file's place, not downloaded
    expect(hits).toBe(before);
    expect(r.stdout).toMatch(new RegExp(`^image=@ref\\.png \\(not fetched by a dry-run: ${refUrl}\\?…\\)$`, "m"));
    expect(r.stderr).toContain(`note: --image-url ${refUrl}?… is not downloaded by a dry-run; a real run downloads it`);
    expect(r.stdout + r.stderr).not.toContain("sig=secret");
    expect(r.stderr).toMatch(
      /sent as multipart files \(provider compat \(profile openai-compatible\) does not take the JSON edit form/,
    );
    // the same command sent downloads it and sends its bytes
    const sent = await run(["edit", "x", "--image-url", refUrl, "--config", config, "-o", "compat-out/"], {
      env: {},
      cwd: dir,
    });
    expect(sent.code, sent.stderr).toBe(0);
    expect(hits).toBe(before + 1);
    expect(provider.requests.at(-1)!.files[0]).toMatchObject({
      field: "image",
      filename: "ref.png",
      size: readFileSync(join(dir, "ref.png")).length,
    });
  });

  it.each([
    ["a 404", "/missing.png", /--image-url http:\/\/127\.0\.0\.1:\d+\/missing\.png\?…#…: HTTP 404/],
    ["not an image", "/text.png", /text\.png\?…#…: not an image/],
  ])("an input URL that fails (%s) is named without its signature", async (_n, path, said) => {
    const signed = `${refUrl.replace("/ref.png", path)}?X-Amz-Signature=${SIGNATURE}#frag`;
    // an http URL is downloaded by gptimg itself, whatever the provider takes
    const r = await run(["edit", "x", "--image-url", signed], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(said);
    expect(r.stdout + r.stderr).not.toContain(SIGNATURE);
  });

  it("refused and dry-run input URLs show no signature or credentials", async () => {
    const cases = [
      ["--image-url", `ftp://me:${SIGNATURE}@files.example/a.png?token=${SIGNATURE}`],
      ["--image-url", `not a url?sig=${SIGNATURE}`],
      ["--image-url", `https://me:${SIGNATURE}@images.example.com/a.png`],
    ];
    for (const [flag, value] of cases) {
      const r = await run(["edit", "x", flag!, value!, "--dry-run"], { env, cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout + r.stderr).not.toContain(SIGNATURE);
    }
    // a presigned https URL the provider fetches itself: the dry-run shows it without its query
    const signed = `https://bucket.s3.amazonaws.com/cat.png?X-Amz-Signature=${SIGNATURE}`;
    const dry = await run(["edit", "x", "--image-url", signed, "--dry-run", "--json"], { env, cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(envelope(dry).request.body.images).toEqual([{ image_url: "https://bucket.s3.amazonaws.com/cat.png?…" }]);
    expect(dry.stdout + dry.stderr).not.toContain(SIGNATURE);
  });

  it("--dry-run downloads no input URL: -i at the offline provider, form and JSON output, --mask auto", async () => {
    const url = `${provider.url}/inputs/dog.png`;
    const dry = await run(["edit", "x", "-i", url, "-i", "ref.png", "--mask", "auto", "--dry-run", "--json"], {
      env,
      cwd: dir,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(provider.count()).toBe(0);
    expect(envelope(dry).request.body.files).toEqual([
      { field: "image[]", filename: "dog.png", notFetched: url },
      { field: "image[]", filename: "ref.png", type: "image/png", bytes: expect.any(Number) },
      { field: "mask", filename: "mask.png", type: "image/png", bytes: expect.any(Number) },
    ]);
    expect(dry.stderr).toContain(
      `note: --mask auto takes the size of the first image, -i ${url}, unknown until it is downloaded`,
    );
    // an http URL beside an https one: the JSON edit form, where the http one would be a data URL
    const https = "https://images.example.com/cat.png";
    const json = await run(["edit", "x", "-i", url, "--image-url", https, "--dry-run", "--json"], { env, cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    expect(provider.count()).toBe(0);
    expect(envelope(json).request.body.images).toEqual([
      { image_url: `not fetched by a dry-run: ${url}` },
      { image_url: https },
    ]);
  });

  it("a refusal from gptimg's model table names --skip-model-rules, which sends the request anyway", async () => {
    const bad = await run(["generate", "x", "--model", "gpt-image-1", "-s", "2048x2048", "--dry-run"], {
      env,
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /gpt-image-1 supports only .*\(gptimg's model table; --skip-model-rules lets the provider decide\)/,
    );
    const ok = await run(
      ["generate", "x", "--model", "gpt-image-1", "-s", "2048x2048", "--skip-model-rules", "--dry-run", "--json"],
      {
        env,
        cwd: dir,
      },
    );
    expect(ok.code).toBe(0);
    expect(envelope(ok).request.body).toMatchObject({ model: "gpt-image-1", size: "2048x2048" });
  });
});
