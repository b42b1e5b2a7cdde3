import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANARY, envelope, filesContaining, type RunResult, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.setFaults([]);
  provider.clearRequests();
  env = { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
});

/** Runs the CLI in `dir` against the offline provider, checks it exits 0, and parses its envelope. */
async function succeeded(args: string[], dir: string): Promise<{ r: RunResult; e: ReturnType<typeof envelope> }> {
  const r = await run(args, { env, cwd: dir });
  expect(r.code).toBe(0);
  return { r, e: envelope(r) };
}

describe("gptimg generate (offline provider over HTTP)", () => {
  it("prints one absolute path per image, -1/-2 suffixes, timestamp-slug names", async () => {
    const dir = tmp();
    const r = await run(["generate", "A lighthouse at dusk!", "-n", "2", "-s", "16:9"], { env, cwd: dir });
    expect(r.code).toBe(0);
    const paths = r.stdout.trim().split("\n");
    expect(paths).toHaveLength(2);
    for (const [i, p] of paths.entries()) {
      expect(p).toMatch(new RegExp(`^${dir}/gptimg-\\d{8}-\\d{6}-a-lighthouse-at-dusk-${i + 1}\\.png$`));
      expect(readFileSync(p).subarray(1, 4).toString()).toBe("PNG");
    }
    expect(provider.requests[0]?.fields).toMatchObject({ n: 2, size: "1536x864", prompt: "A lighthouse at dusk!" });
  });

  it("--json prints one envelope with images, usage, cost and request id", async () => {
    const dir = tmp();
    const { e } = await succeeded(["generate", "a fox", "-s", "1024x1024", "-q", "high", "--json", "-o", "out/"], dir);
    expect(Object.keys(e)).toEqual([
      "ok",
      "command",
      "provider",
      "model",
      "images",
      "usage",
      "cost",
      "requestId",
      "jobId",
      "sizeMismatch",
      "elapsedMs",
    ]);
    expect(e).toMatchObject({
      ok: true,
      command: "generate",
      provider: "default",
      model: "gpt-image-2",
      sizeMismatch: false,
    });
    expect(e.images).toHaveLength(1);
    expect(e.images[0]).toMatchObject({ format: "png", width: 1024, height: 1024 });
    expect(e.images[0].path.startsWith(join(dir, "out"))).toBe(true);
    expect(e.images[0].bytes).toBe(readFileSync(e.images[0].path).byteLength);
    const u = e.usage;
    const text = u.inputTokensDetails?.textTokens ?? u.inputTokens;
    expect(e.cost).toBeCloseTo((text * 5 + u.outputTokens * 30) / 1e6, 6);
    expect(e.requestId).toMatch(/^req_/);
  });

  it("--json carries the run's notes: what it printed on stderr for a human", async () => {
    const dir = tmp();
    const { r, e } = await succeeded(
      ["generate", "a wide sea", "--model", "gpt-image-1", "-s", "4k", "--json", "-o", "sea.gif"],
      dir,
    );
    expect(e.images[0]?.path).toBe(join(dir, "sea.png"));
    const notes = [
      "note: size 4k (3840x2160) is not a size gpt-image-1 makes; its closest, 1536x1024, is sent",
      `note: saved as ${join(dir, "sea.png")}: the image is png, not the .gif that -o names`,
    ];
    expect(e.notes).toEqual(notes);
    for (const note of notes) expect(r.stderr).toContain(note);
    expect(provider.requests[0]?.fields).toMatchObject({ size: "1536x1024" });
    // a run with nothing to say has no notes field
    const plain = await run(["generate", "a fox", "--json", "-o", "fox.png"], { env, cwd: dir });
    expect(Object.keys(envelope(plain))).not.toContain("notes");
  });

  it("--media prints MEDIA:<path> lines", async () => {
    const dir = tmp();
    const r = await run(["generate", "a cat", "-n", "2", "--media"], { env, cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(existsSync(l.replace(/^MEDIA:/, ""))).toBe(true);
    expect(lines.every((l) => l.startsWith(`MEDIA:${dir}/`))).toBe(true);
  });

  it("MEDIA: lines by GPTIMG_MEDIA=1, and beside --json on stderr while stdout keeps the envelope", async () => {
    const dir = tmp();
    const byEnv = await run(["generate", "a cat"], { env: { ...env, GPTIMG_MEDIA: "1" }, cwd: dir });
    expect(byEnv.stdout).toMatch(new RegExp(`^MEDIA:${dir}/.*\\.png\n$`));
    const both = await run(["generate", "a cat", "-n", "2", "--json", "--media"], { env, cwd: dir });
    expect(both.code).toBe(0);
    const paths = envelope(both).images.map((i: { path: string }) => i.path);
    expect(both.stderr.split("\n").filter((l) => l.startsWith("MEDIA:"))).toEqual(
      paths.map((p: string) => `MEDIA:${p}`),
    );
  });

  it("-o naming a dangling symbolic link is refused before anything is sent", async () => {
    const dir = tmp();
    symlinkSync(join(dir, "missing", "target.png"), join(dir, "out.png"));
    const r = await run(["generate", "a cat", "-o", "out.png"], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("out.png is a symbolic link to nothing (not followed)");
    expect(provider.count()).toBe(0);
    expect(lstatSync(join(dir, "out.png")).isSymbolicLink()).toBe(true);
  });

  it("--output: an existing directory, a trailing /, or a new extensionless path with -n > 1 is a directory", async () => {
    const dir = tmp();
    const many = await run(["generate", "--prompt", "a cat", "--n", "2", "--output", "shots"], { env, cwd: dir });
    expect(many.code).toBe(0);
    expect(
      many.stdout
        .trim()
        .split("\n")
        .every((p) => p.startsWith(join(dir, "shots/"))),
    ).toBe(true);
    const one = await run(["generate", "--prompt", "a cat", "--output", "single"], { env, cwd: dir });
    expect(one.stdout.trim()).toBe(join(dir, "single.png"));
    const into = await run(["generate", "--prompt", "a cat", "--output", "shots"], { env, cwd: dir });
    expect(into.stdout.startsWith(join(dir, "shots/"))).toBe(true);
  });

  it("-o FILE with n > 1 writes FILE-1, FILE-2, and the extension follows the real bytes", async () => {
    const dir = tmp();
    const r = await run(["generate", "a cat", "-n", "2", "-f", "jpeg", "-o", "pic.png"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([join(dir, "pic-1.jpg"), join(dir, "pic-2.jpg")]);
  });

  it("the provider answering another format than asked still gets the right extension", async () => {
    const dir = tmp();
    provider.setFaults([{ kind: "wrong-format", format: "webp" }]);
    const r = await run(["generate", "a cat", "-f", "png", "-o", "x.png", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(envelope(r).images[0]).toMatchObject({ format: "webp", path: join(dir, "x.webp") });
    expect(r.stderr).toContain(`warning: asked for png, the provider returned webp; saved as ${join(dir, "x.webp")}`);
  });

  it("-o FILE.jpg without --format asks for jpeg", async () => {
    const dir = tmp();
    const r = await run(["generate", "a cat", "-o", "cover.jpg"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, "cover.jpg"));
    expect(provider.requests[0]?.fields).toMatchObject({ output_format: "jpeg" });
  });

  it("a changed size is reported as sizeMismatch", async () => {
    provider.setFaults([{ kind: "wrong-size", size: "1024x1536" }]);
    const r = await run(["generate", "a cat", "-s", "1024x1024", "--json"], { env, cwd: tmp() });
    expect(r.code).toBe(0);
    expect(envelope(r)).toMatchObject({ sizeMismatch: true, images: [{ width: 1024, height: 1536 }] });
    expect(r.stderr).toMatch(/size other than the one requested: asked for 1024x1024, got 1024x1536/);
  });

  it("never overwrites without --force; --force replaces atomically", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "keep.png"), "old");
    const r1 = await run(["generate", "a cat", "-o", "keep.png"], { env, cwd: dir });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/keep\.png exists; pass --force/);
    expect(readFileSync(join(dir, "keep.png"), "utf8")).toBe("old");
    // Refused before sending: an image nobody can save is never paid for.
    expect(provider.requests).toHaveLength(0);
    const r2 = await run(["generate", "a cat", "-o", "keep.png", "--force"], { env, cwd: dir });
    expect(r2.code).toBe(0);
    expect(readFileSync(join(dir, "keep.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("reads the prompt from stdin (-) and from --prompt-file", async () => {
    const dir = tmp();
    const r1 = await run(["generate", "-", "--json"], { env, cwd: dir, input: "a quiet harbour\n" });
    expect(r1.code).toBe(0);
    writeFileSync(join(dir, "p.txt"), "a red kite");
    const r2 = await run(["generate", "--prompt-file", "p.txt"], { env, cwd: dir });
    expect(r2.code).toBe(0);
    expect(provider.requests.map((q) => q.fields.prompt)).toEqual(["a quiet harbour", "a red kite"]);
    expect(r2.stdout).toMatch(/a-red-kite\.png\n$/);
  });

  it("a prompt that looks like a path is slugged and stays in the output directory", async () => {
    const dir = tmp();
    const r = await run(["generate", "../../etc/passwd", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(envelope(r).images[0].path).toMatch(new RegExp(`^${dir}/gptimg-\\d{8}-\\d{6}-etc-passwd\\.png$`));
  });

  it.each([
    [["-s", "1920x1080"], /size 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088/],
    [["-n", "11"], /--n 11: must be an integer from 1 to 10/],
    [["-q", "ultra"], /quality/],
    [
      ["--background", "transparent", "-f", "jpeg"],
      /background transparent: transparent needs output_format png or webp/,
    ],
    [["--background", "clear"], /background/],
    [["--compression", "50", "-f", "png"], /compression/],
    [["--extra-json", "[1]"], /--extra-json \[1\]: must be a JSON object/],
    [["-n", "two"], /--n two: must be an integer from 1 to 10/],
    [
      ["-n", "11", "-q", "ultra", "-f", "gif", "--compression", "101"],
      /^error: --n 11: must be an integer from 1 to 10\nerror: --quality ultra: .*\nerror: --format gif: .*\nerror: --compression 101: must be an integer from 0 to 100/m,
    ],
  ])("bad input %j exits 2 before anything is sent", async (args, message) => {
    const r = await run(["generate", "a cat", ...args], { env, cwd: tmp() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split("\n")[0]).toMatch(/^error: /);
    expect(provider.count()).toBe(0);
  });

  it("an unwritable output directory exits 2 before the request", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "file"), "x");
    const r = await run(["generate", "a cat", "-o", "file/sub/"], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/output directory .*file\/sub: .*file is a file, not a directory; choose another -o/);
    expect(provider.count()).toBe(0);
  });

  it("without a key exits 3 and says exactly how to provide one", async () => {
    const r = await run(["generate", "a cat"], { env: { GPTIMG_BASE_URL: provider.url }, cwd: tmp() });
    expect(r.code).toBe(3);
    for (const way of ["gptimg login", "GPTIMG_API_KEY", ".env", "--api-key"]) expect(r.stderr).toContain(way);
    expect(provider.count()).toBe(0);
  });

  it("a rejected key exits 3", async () => {
    const r = await run(["generate", "a cat", "--json"], {
      env: { ...env, GPTIMG_API_KEY: "wrong-key-123" },
      cwd: tmp(),
    });
    expect(r.code).toBe(3);
    expect(envelope(r).error).toMatchObject({ code: "auth", status: 401, possiblyBilled: false });
  });

  it("--dry-run prints method, URL, redacted headers and body, and sends nothing", async () => {
    const dir = tmp();
    const r = await run(["generate", "a cat", "--dry-run", "-s", "portrait", "--extra", "seed=7"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`POST ${provider.url}/images/generations`);
    expect(r.stdout).toMatch(/authorization: Bearer \*\*\*redacted\*\*\*/);
    expect(r.stdout).toMatch(/"size": "1024x1536"/);
    expect(r.stdout).toMatch(/"seed": 7/);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(provider.count()).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("--background transparent on gpt-image-2 is sent (in preview per OpenAI's spec): the provider decides", async () => {
    const before = provider.count();
    const r = await run(["generate", "a cat", "--background", "transparent", "--json"], { env, cwd: tmp() });
    expect(provider.count()).toBe(before + 1);
    expect(provider.requests.at(-1)?.fields).toMatchObject({ background: "transparent" });
    // this offline provider has no transparent gpt-image-2 yet and refuses, as the real one may
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/transparent/i);
  });

  it("--style reaches the wire for dall-e-3 and is refused, named, for gpt-image-2", async () => {
    const ok = await run(["generate", "a cat", "--dry-run", "--model", "dall-e-3", "--style", "natural"], {
      env,
      cwd: tmp(),
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/"style": "natural"/);
    const bad = await run(["generate", "a cat", "--dry-run", "--style", "vivid"], { env, cwd: tmp() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/style vivid: is not supported by gpt-image-2 \(dall-e-3 takes it\)/);
    expect(provider.count()).toBe(0);
  });

  it("a flag's alias from the option table works as the flag (--output-format is --format)", async () => {
    const ok = await run(["generate", "a cat", "--dry-run", "--output-format", "WEBP"], { env, cwd: tmp() });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/"output_format": "webp"/);
    const both = await run(["generate", "a cat", "--dry-run", "--output-format", "webp", "-f", "png"], {
      env,
      cwd: tmp(),
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--output-format and --format are the same flag: give one/);
  });

  it("--stream saves partial images beside the final one", async () => {
    const dir = tmp();
    const r = await run(["generate", "a cat", "--stream", "--partial-images", "2", "--json", "-o", "s.png"], {
      env,
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(provider.requests[0]?.fields).toMatchObject({ stream: true, partial_images: 2 });
    const files = readdirSync(dir).sort();
    expect(files).toContain("s.png");
    expect(files.filter((f) => /^s\.partial-\d\.png$/.test(f)).length).toBe(2);
    expect(envelope(r).images).toHaveLength(1);
  });

  it("n=4 4K images arrive whole", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "o"));
    const r = await run(["generate", "a big one", "-n", "4", "-s", "4k", "--json", "-o", "o"], { env, cwd: dir });
    expect(r.code).toBe(0);
    const e = envelope(r);
    expect(e.images.map((i: { width: number; height: number }) => `${i.width}x${i.height}`)).toEqual(
      Array(4).fill("3840x2160"),
    );
    expect(filesContaining(dir, CANARY)).toEqual([]);
  });
});
