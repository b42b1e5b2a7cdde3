/**
 * The example invocations of the five image skills gptimg replaces, spelled as each skill spells
 * them (flags, variables, config files), with `gptimg` in place of the skill's script, against
 * the offline provider: each produces the files its skill promises, and no key ever shows.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { modelRules } from "@gptimg/core";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANARY, envelope, mode, type RunResult, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
/** the offline provider's root (no /v1), as GPT_IMAGE2_BASE_URL is given */
let root: string;
let images: Server;
let imagesUrl: string;
let dir: string;
let home: string;
const outputs: string[] = [];

async function png(path: string, w: number, h: number, alpha = false): Promise<Buffer> {
  const buf = await sharp({
    create: { width: w, height: h, channels: alpha ? 4 : 3, background: { r: 200, g: 120, b: 40, alpha: 0 } },
  })
    .png()
    .toBuffer();
  if (path) writeFileSync(path, buf);
  return buf;
}

/** Runs gptimg and keeps its output for the canary check at the end. */
async function gptimg(args: string[], env: Record<string, string> = {}, cwd = dir): Promise<RunResult> {
  const r = await run(args, { env: { HOME: home, ...env }, cwd });
  outputs.push(r.stdout, r.stderr);
  return r;
}

const paths = (r: RunResult): string[] => r.stdout.trim().split("\n").filter(Boolean);

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
  root = provider.url.replace(/\/v1$/, "");
  const ref = await png("", 1024, 1024);
  images = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "image/png" });
    res.end(ref);
  });
  await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => images.close(resolve));
  await provider.close();
  // no key in anything gptimg printed, in any of the runs above
  expect(outputs.join("\n")).not.toContain(CANARY);
});
beforeEach(async () => {
  provider.clearRequests();
  dir = tmp("gptimg-seed-");
  home = tmp("gptimg-seed-home-");
  await png(join(dir, "input.png"), 1024, 1024);
  await png(join(dir, "pose.png"), 1024, 1024);
  await png(join(dir, "mask.png"), 1024, 1024, true);
});

describe("seed 000: gpt-image-2-generation (WellAPI, config file, --prompt/--output)", () => {
  async function imported(): Promise<void> {
    mkdirSync(join(home, ".config/gpt-image-2-generation"), { recursive: true });
    writeFileSync(join(home, ".config/gpt-image-2-generation/config.json"), JSON.stringify({ api_key: CANARY }), {
      mode: 0o600,
    });
    const r = await gptimg(["login", "--import"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/found .*gpt-image-2-generation\/config\.json: provider wellapi: wellapi/);
    expect(r.stderr).toContain("defaults quality low, format jpeg, size 1024x1024");
    // WellAPI itself is not reachable from a test: its stored provider is pointed at the offline one
    expect((await gptimg(["config", "set", "providers.wellapi.baseUrl", provider.url])).code).toBe(0);
  }

  it("minimal: --prompt 大海 gives a low-quality 1024x1024 jpeg, its absolute path printed", async () => {
    await imported();
    const r = await gptimg(["--prompt", "大海"]);
    expect(r.code).toBe(0);
    const [path] = paths(r);
    expect(path).toMatch(/^\/.*\.jpg$/);
    expect((await sharp(readFileSync(path!)).metadata()).width).toBe(1024);
    expect(provider.requests[0]?.fields).toMatchObject({
      model: "gpt-image-2",
      prompt: "大海",
      size: "1024x1024",
      quality: "low",
      format: "jpeg",
    });
  });

  it("custom size, format and output path: the flags win over the defaults", async () => {
    await imported();
    const r = await gptimg([
      "--prompt",
      "A futuristic city skyline at dusk, cyberpunk style",
      "--size",
      "1024x1024",
      "--quality",
      "high",
      "--format",
      "png",
      "--output",
      "./city.png",
    ]);
    expect(r.code).toBe(0);
    expect(paths(r)).toEqual([join(dir, "city.png")]);
    expect(provider.requests[0]?.fields).toMatchObject({ quality: "high", format: "png" });
  });

  it("--api-key overrides, and --n 2 adds an index to the name", async () => {
    const r = await gptimg(["--prompt", "大海", "--n", "2", "--api-key", CANARY, "--base-url", provider.url]);
    expect(r.code).toBe(0);
    expect(paths(r)).toHaveLength(2);
    expect(paths(r).every((p) => /-[12]\.png$/.test(p))).toBe(true);
  });
});

describe("seed 001: WellAPI gpt-image-2 (WELLAPI_API_KEY, MEDIA: lines, repeated image fields)", () => {
  it("WELLAPI_API_KEY alone selects WellAPI: its URL and its `format` field", async () => {
    const r = await gptimg(["generate", "大海", "--format", "png", "--dry-run"], { WELLAPI_API_KEY: CANARY });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("POST https://wellapi.ai/v1/images/generations");
    expect(r.stdout).toContain('"format": "png"');
    expect(r.stdout).toContain("authorization: Bearer ***redacted***");
  });

  it("MEDIA:<absolute path> per image, and edits send repeated `image` fields", async () => {
    writeFileSync(
      join(home, "wellapi.json"),
      // a configured WellAPI-profile provider whose key is the skill's variable (WellAPI itself is out of reach)
      JSON.stringify({
        provider: "wellapi",
        providers: { wellapi: { profile: "wellapi", baseUrl: provider.url, keyEnv: "WELLAPI_API_KEY" } },
      }),
      { mode: 0o600 },
    );
    const env = { WELLAPI_API_KEY: CANARY, GPTIMG_MEDIA: "1", GPTIMG_CONFIG: join(home, "wellapi.json") };
    const gen = await gptimg(["generate", "海边日落", "-n", "2"], env);
    expect(gen.code).toBe(0);
    const lines = paths(gen);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(existsSync(l.replace(/^MEDIA:\//, "/"))).toBe(true);
    expect(lines.every((l) => l.startsWith(`MEDIA:${dir}/`))).toBe(true);
    const edit = await gptimg(["edit", "给她戴上帽子", "--image", "input.png", "--image", "pose.png"], env);
    expect(edit.code).toBe(0);
    expect(paths(edit)[0]).toMatch(/^MEDIA:\//);
    expect(provider.requests.at(-1)?.files.map((f) => f.field)).toEqual(["image", "image"]);
  });
});

describe("seed 002: gpt-image-2-api (OPENAI_API_KEY with OPENAI_BASE_URL, OPENAI_IMAGE_*, --output DIR)", () => {
  let env: Record<string, string>;
  beforeEach(() => {
    env = { OPENAI_API_KEY: CANARY, OPENAI_BASE_URL: provider.url };
  });

  it("generate: --output DIR --size --n --output-format", async () => {
    mkdirSync(join(dir, "generated-images"));
    const r = await gptimg(
      [
        "--prompt",
        "a concise image prompt",
        "--output",
        "./generated-images",
        "--size",
        "1024x1024",
        "--n",
        "1",
        "--output-format",
        "png",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, "generated-images"))).toHaveLength(1);
    expect(provider.requests[0]?.fields).toMatchObject({ size: "1024x1024", output_format: "png", n: 1 });
  });

  it("edit with --image, --input as its alias, into a new --output directory (-n 2)", async () => {
    const r = await gptimg(
      [
        "--prompt",
        "make the dog wear a red scarf",
        "--image",
        "./input.png",
        "--input",
        "./pose.png",
        "--n",
        "2",
        "--output",
        "./edited-images",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, "edited-images"))).toHaveLength(2);
    expect(provider.requests[0]?.path).toBe("/v1/images/edits");
    expect(provider.requests[0]?.files.map((f) => f.filename)).toEqual(["input.png", "pose.png"]);
  });

  it("mask: --protocol openai_images --mask ./mask.png", async () => {
    mkdirSync(join(dir, "edited-images"));
    const r = await gptimg(
      [
        "--protocol",
        "openai_images",
        "--prompt",
        "replace the background",
        "--image",
        "./input.png",
        "--mask",
        "./mask.png",
        "--output",
        "./edited-images",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, "edited-images"))).toHaveLength(1);
    expect(provider.requests[0]?.files.map((f) => f.field)).toEqual(["image", "mask"]);
  });

  it("auto-mask: --mask auto --background transparent --output-format png", async () => {
    mkdirSync(join(dir, "edited-images"));
    const r = await gptimg(
      [
        "--protocol",
        "openai_images",
        "--prompt",
        "remove the background",
        "--image",
        "./input.png",
        "--mask",
        "auto",
        "--background",
        "transparent",
        "--output-format",
        "png",
        "--output",
        "./edited-images",
      ],
      env,
    );
    // gptimg sends it (transparency is the provider's call); the offline provider, like gpt-image-2
    // today, answers 400, which is exit 4 with the provider's own words
    expect(modelRules("gpt-image-2").backgrounds).toContain("transparent");
    const req = provider.requests[0]!;
    expect(req.fields).toMatchObject({ background: "transparent", output_format: "png" });
    expect(req.files.find((f) => f.field === "mask")).toMatchObject({ filename: "mask.png", type: "image/png" });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: transparent background is not/im);
  });

  it("chat fallback: OPENAI_IMAGE_PROTOCOL=openai_chat", async () => {
    mkdirSync(join(dir, "generated-images"));
    const r = await gptimg(["--prompt", "a concise image prompt", "--output", "./generated-images"], {
      ...env,
      OPENAI_IMAGE_PROTOCOL: "openai_chat",
    });
    expect(r.code).toBe(0);
    expect(provider.requests[0]?.path).toBe("/v1/chat/completions");
    expect(readdirSync(join(dir, "generated-images"))).toHaveLength(1);
  });

  it("OPENAI_IMAGE_* are defaults under the flags, from the environment or the skill's .env", async () => {
    writeFileSync(
      join(dir, ".env"),
      `OPENAI_IMAGE_QUALITY=low\nOPENAI_IMAGE_SIZE=1536x1024\nOPENAI_IMAGE_EXTRA_JSON={"seed":7}\n`,
    );
    const r = await gptimg(["--prompt", "x", "--size", "1024x1024", "--json"], {
      ...env,
      OPENAI_IMAGE_OUTPUT_FORMAT: "webp",
      OPENAI_IMAGE_MODERATION: "low",
    });
    expect(r.code).toBe(0);
    expect(envelope(r).images[0].format).toBe("webp");
    expect(provider.requests[0]?.fields).toMatchObject({
      quality: "low",
      size: "1024x1024",
      output_format: "webp",
      moderation: "low",
      seed: 7,
    });
    const doctor = await gptimg(["doctor"], env);
    expect(doctor.stdout).toContain("quality low from OPENAI_IMAGE_QUALITY (.env)");
    expect(doctor.stdout).toContain(`base URL ${provider.url} from OPENAI_BASE_URL (environment)`);
  });

  it("OPENAI_API_KEY never goes to another host: a relay's key stays with OPENAI_BASE_URL", async () => {
    const other = await startOfflineProvider();
    try {
      const r = await gptimg(["--prompt", "x"], { ...env, GPTIMG_BASE_URL: other.url });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`not used: OPENAI_API_KEY (environment) is sent only to ${provider.url}`);
      expect(other.count()).toBe(0);
      const official = await gptimg(["--prompt", "x", "--dry-run"], { OPENAI_API_KEY: CANARY });
      expect(official.stdout).toContain("POST https://api.openai.com/v1/images/generations");
    } finally {
      await other.close();
    }
  });
});

describe("seed 003: gpt-image-2 private relay (GPT_IMAGE2_*, generate/edit, --image-url)", () => {
  let env: Record<string, string>;
  beforeEach(() => {
    // a root URL, as the skill gives it: its paths start with /v1
    env = { GPT_IMAGE2_BASE_URL: root, GPT_IMAGE2_API_KEY: CANARY };
  });

  it("text-to-image and image edits, with one and several --image", async () => {
    const cat = await gptimg(
      ["generate", "--prompt", "一只猫在赛博朋克城市里喝咖啡", "--size", "1024x1024", "--output", join(dir, "cat.png")],
      env,
    );
    expect(cat.code).toBe(0);
    expect(paths(cat)).toEqual([join(dir, "cat.png")]);
    const edited = await gptimg(
      [
        "edit",
        "--image",
        join(dir, "input.png"),
        "--prompt",
        "给这张图片里的女生戴上一顶自然合适的黑色贝雷帽,保持其他内容不变",
        "--size",
        "1024x1536",
        "--quality",
        "low",
        "--output",
        join(dir, "edited.png"),
      ],
      env,
    );
    expect(edited.code).toBe(0);
    expect((await sharp(readFileSync(join(dir, "edited.png"))).metadata()).height).toBe(1536);
    const portrait = await gptimg(
      [
        "edit",
        "--image",
        join(dir, "input.png"),
        "--image",
        join(dir, "pose.png"),
        "--prompt",
        "参考第一张的人脸特征,参考第二张的姿势,生成真实感职业半身像",
        "--size",
        "1024x1536",
        "--output",
        join(dir, "portrait.png"),
      ],
      env,
    );
    expect(portrait.code).toBe(0);
    expect(existsSync(join(dir, "portrait.png"))).toBe(true);
    expect(provider.requests.map((r) => r.path)).toEqual([
      "/v1/images/generations",
      "/v1/images/edits",
      "/v1/images/edits",
    ]);
  });

  it("the backup endpoint's paths and model: GPT_IMAGE2_GENERATE_PATH and _EDIT_PATH", async () => {
    const backup = { GPT_IMAGE2_BASE_URL: "https://api.minimax.io/v1", GPT_IMAGE2_API_KEY: CANARY };
    const gen = await gptimg(
      [
        "generate",
        "--model",
        "canvas-20",
        "--prompt",
        "一只猫",
        "--size",
        "1024x1024",
        "--output",
        "/tmp/cat.png",
        "--dry-run",
      ],
      { ...backup, GPT_IMAGE2_GENERATE_PATH: "/content/models/canvas-20/generations" },
    );
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain("POST https://api.minimax.io/v1/content/models/canvas-20/generations");
    expect(gen.stdout).toContain('"model": "canvas-20"');
    const edit = await gptimg(
      ["edit", "--model", "canvas-20", "--image", join(dir, "input.png"), "--prompt", "x", "--dry-run"],
      { ...backup, GPT_IMAGE2_EDIT_PATH: "/content/models/canvas-20/edits" },
    );
    expect(edit.stdout).toContain("POST https://api.minimax.io/v1/content/models/canvas-20/edits");
  });

  it("generate --image-url downloads the reference and sends it as an edit", async () => {
    const r = await gptimg(
      [
        "generate",
        "--prompt",
        "same scene at night",
        "--image-url",
        `${imagesUrl}/ref.png`,
        "--output",
        join(dir, "night.png"),
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "night.png"))).toBe(true);
    expect(provider.requests[0]?.path).toBe("/v1/images/edits");
    expect(provider.requests[0]?.files[0]?.filename).toBe("ref.png");
  });

  it("GPT_IMAGE2_TIMEOUT_SECONDS bounds each attempt", async () => {
    provider.setFaults([{ kind: "hang" }]);
    const started = Date.now();
    const r = await gptimg(["generate", "--prompt", "x", "--output", join(dir, "slow.png"), "--json"], {
      ...env,
      GPT_IMAGE2_TIMEOUT_SECONDS: "1",
    });
    provider.setFaults([]);
    expect(r.code).toBe(6);
    expect(envelope(r).error.possiblyBilled).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe("seed 004: gpt-image-2-apikey (its own config file, --out, --edit-image, --dry-run)", () => {
  function seedConfig(path = join(home, ".config/gpt-image-2-apikey/config.json")): string {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({
        api_key: CANARY,
        base_url: provider.url,
        model: "gpt-image-2",
        extra_body: { moderation: "auto" },
      }),
      { mode: 0o600 },
    );
    return path;
  }

  it("login --import stores the config as a provider (0600); the examples then run as spelled", async () => {
    seedConfig();
    const imp = await gptimg(["login", "--import"]);
    expect(imp.code).toBe(0);
    expect(imp.stderr).toMatch(/provider gpt-image-2-apikey: openai-compatible; .*key \*\*\*redacted\*\*\*/);
    expect(imp.stderr).toContain("defaults size 1024x1024, moderation auto");
    expect(mode(join(home, ".config/gptimg/config.json"))).toBe(0o600);
    const out = join(dir, "output.png");
    const gen = await gptimg([
      "--prompt",
      "A clean product photo of a matte black mechanical keyboard on a walnut desk",
      "--out",
      out,
      "--size",
      "1024x1024",
      "--quality",
      "high",
    ]);
    expect(gen.code).toBe(0);
    expect(paths(gen)).toEqual([out]);
    expect(provider.requests[0]?.fields).toMatchObject({ quality: "high", moderation: "auto" });
    const edited = await gptimg([
      "--prompt",
      "Turn this logo into italic silver-to-black gradient text while preserving the exact spelling",
      "--edit-image",
      join(dir, "input.png"),
      "--out",
      join(dir, "edited.png"),
      "--size",
      "1024x1024",
      "--quality",
      "high",
    ]);
    expect(edited.code).toBe(0);
    const masked = await gptimg([
      "--prompt",
      "Only change the background to a clean studio gray, preserving the subject",
      "--edit-image",
      join(dir, "input.png"),
      "--mask",
      join(dir, "mask.png"),
      "--out",
      join(dir, "masked.png"),
      "--quality",
      "high",
    ]);
    expect(masked.code).toBe(0);
    const combined = await gptimg([
      "--prompt",
      "Combine the product from image 1 with the background mood from image 2",
      "--edit-image",
      join(dir, "input.png"),
      "--edit-image",
      join(dir, "pose.png"),
      "--out",
      join(dir, "combined.png"),
    ]);
    expect(combined.code).toBe(0);
    for (const f of ["edited.png", "masked.png", "combined.png"]) expect(existsSync(join(dir, f))).toBe(true);
    expect(provider.requests.at(-1)?.files.map((f) => f.filename)).toEqual(["input.png", "pose.png"]);
  });

  it("--config FILE reads the skill's own file, never rewrites it; --dry-run shows the key redacted", async () => {
    const cfg = seedConfig(join(home, "private/config.json"));
    const before = readFileSync(cfg, "utf8");
    const dry = await gptimg([
      "--prompt",
      "dry run only",
      "--edit-image",
      join(dir, "input.png"),
      "--out",
      join(dir, "output.png"),
      "--config",
      cfg,
      "--dry-run",
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`POST ${provider.url}/images/edits`);
    expect(dry.stdout).toContain("Bearer ***redacted***");
    const real = await gptimg(["--prompt", "a keyboard", "--out", join(dir, "k.png"), "--config", cfg]);
    expect(real.code).toBe(0);
    const set = await gptimg(["config", "set", "provider", "openai", "--config", cfg]);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain("never rewritten by gptimg");
    expect(readFileSync(cfg, "utf8")).toBe(before);
  });
});

describe("login --import leaves out what it cannot use, saying why, and imports the rest", () => {
  const apikey = () => join(home, ".config/gpt-image-2-apikey/config.json");
  const skillEnv = () => join(home, ".claude/skills/gpt-image-2-api/.env");
  const write = (path: string, text: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text, { mode: 0o600 });
  };
  const stored = () => JSON.parse(readFileSync(join(home, ".config/gptimg/config.json"), "utf8")).providers;

  it("a malformed config found beside a skill's .env is skipped with its reason; a bad OPENAI_IMAGE_N is left out, named with its file, value and rule", async () => {
    write(apikey(), '{"api_key": "x",');
    write(
      skillEnv(),
      `OPENAI_API_KEY=${CANARY}\nOPENAI_BASE_URL=${provider.url}\nOPENAI_IMAGE_N=abc\nOPENAI_IMAGE_QUALITY=high\n`,
    );
    const r = await gptimg(["login", "--import"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^skipped ${apikey()}: not valid JSON \\(.+\\); left as it is$`, "m"));
    expect(r.stderr).toContain(
      `  not imported: OPENAI_IMAGE_N "abc" in ${skillEnv()}: must be an integer from 1 to 10`,
    );
    expect(r.stderr).not.toContain("NaN");
    expect(stored()["gpt-image-2-api"]).toMatchObject({
      profile: "openai-compatible",
      defaults: { quality: "high" },
    });
    expect(stored()["gpt-image-2-api"].defaults.n).toBeUndefined();
    // the file named on the command line is an error, and nothing is written
    const named = await run(["login", "--import", apikey()], { env: { HOME: tmp("gptimg-seed-home-") } });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/not valid JSON/);
  });

  it('extra_body.n "many" is left out with a note at import; read in place of a config it is an error', async () => {
    write(
      apikey(),
      JSON.stringify({ api_key: CANARY, base_url: provider.url, extra_body: { n: "many", quality: "low", seed: 7 } }),
    );
    const r = await gptimg(["login", "--import"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`  not imported: extra_body.n "many" in ${apikey()}: must be an integer from 1 to 10`);
    expect(stored()["gpt-image-2-apikey"]).toMatchObject({ defaults: { quality: "low" }, extraBody: { seed: 7 } });
    expect(stored()["gpt-image-2-apikey"].defaults.n).toBeUndefined();
    const viaConfig = await gptimg(["generate", "x", "--config", apikey(), "--dry-run"]);
    expect(viaConfig.code).toBe(2);
    expect(viaConfig.stderr).toContain(`extra_body.n "many" in ${apikey()}: must be an integer from 1 to 10`);
  });
});
