import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANARY, envelope, gate, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
let env: Record<string, string>;
beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY, latencyMs: 100 });
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.clearRequests();
  env = { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
});

const lines = [
  { prompt: "a red fox", size: "square", out: "fox.png" },
  { prompt: "a blue whale", n: 2, format: "jpeg" },
  { prompt: "a bad size", size: "1920x1080" },
  { prompt: "a green owl", quality: "low", out: "owls/owl.png" },
  { prompt: "escape", out: "../escape.png" },
];

describe("gptimg batch", () => {
  it("runs every line with bounded concurrency, isolates failures, summarizes, and resumes", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "jobs.jsonl"), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n\n`);
    const r = await run(["batch", "jobs.jsonl", "--concurrency", "2", "-o", "out", "--json"], { env, cwd: dir });
    expect(r.code).toBe(2); // both failed lines (bad size, out outside) are usage errors: nothing was sent
    const e = envelope(r);
    expect(e.summary).toMatchObject({ total: 5, done: 3, skipped: 0, failed: 2, images: 4 });
    expect(e.results.map((x: { line: number; ok: boolean }) => [x.line, x.ok])).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, true],
      [5, false],
    ]);
    expect(e.results[2].error.message).toMatch(
      /size 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088/,
    );
    expect(e.results[4].error.message).toMatch(/out \.\.\/escape\.png: must name a file inside the output directory/);
    expect(existsSync(join(dir, "escape.png"))).toBe(false);
    expect(existsSync(join(dir, "out/fox.png"))).toBe(true);
    expect(existsSync(join(dir, "out/owls/owl.png"))).toBe(true);
    expect(readdirSync(join(dir, "out")).filter((f) => f.endsWith(".jpg"))).toHaveLength(2);
    expect(r.stderr).toMatch(/batch: 3 done, 0 skipped, 2 failed of 5; 4 images/);
    // One "line N:" per message, also for problems found while parsing the line.
    expect(r.stderr).toMatch(/^error: line 5: out \.\.\/escape\.png: must name a file/m);
    expect(existsSync(join(dir, "out/.jobs.jsonl.gptimg-state.json"))).toBe(true);
    const sent = provider.count("/images/generations");
    expect(sent).toBe(3);

    // A re-run skips what is done and retries only the failures.
    const again = await run(["batch", "jobs.jsonl", "-o", "out", "--json"], { env, cwd: dir });
    expect(envelope(again).summary).toMatchObject({ done: 0, skipped: 3, failed: 2 });
    expect(provider.count("/images/generations")).toBe(sent);
  });

  it("lines with the same prompt at the same time each keep their image", async () => {
    const dir = tmp();
    const twins = [{ prompt: "twin" }, { prompt: "twin", quality: "low" }, { prompt: "twin", quality: "high" }];
    writeFileSync(join(dir, "twins.jsonl"), twins.map((l) => JSON.stringify(l)).join("\n"));
    const r = await run(["batch", "twins.jsonl", "--concurrency", "3"], { env, cwd: dir });
    expect(r.stderr).not.toMatch(/exists/);
    expect(r.code).toBe(0);
    const paths = r.stdout.trim().split("\n");
    expect(new Set(paths).size).toBe(3);
    for (const p of paths) expect(existsSync(p)).toBe(true);
  });

  it("a concurrency of 3 runs three requests at once (and never more)", async () => {
    const dir = tmp();
    const many = Array.from({ length: 7 }, (_, i) => JSON.stringify({ prompt: `p${i}` }));
    writeFileSync(join(dir, "many.jsonl"), many.join("\n"));
    const r = await run(["batch", "many.jsonl", "-c", "3", "-o", "o"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(7);
    // With 100 ms of latency per request, overlapping arrivals show the pool's width.
    const times = provider.requests.map((q) => q.time).sort((a, b) => a - b);
    let maxOverlap = 0;
    for (const t of times) maxOverlap = Math.max(maxOverlap, times.filter((u) => u >= t && u < t + 90).length);
    expect(maxOverlap).toBeLessThanOrEqual(3);
    expect(maxOverlap).toBeGreaterThanOrEqual(2);
  });

  it("exits with the most serious line: one that may have been billed wins over one that sent nothing", async () => {
    const dir = tmp();
    const mixed = [
      { prompt: "a bad size", size: "1000x1000" },
      { prompt: "a cut answer", extra: "offline_fault=reset" },
      { prompt: "a refused one", extra: "offline_fault=status=400" },
      { prompt: "a fine one" },
    ];
    writeFileSync(join(dir, "mixed.jsonl"), mixed.map((l) => JSON.stringify(l)).join("\n"));
    const r = await run(["batch", "mixed.jsonl", "--concurrency", "1", "--json"], { env, cwd: dir });
    const e = envelope(r);
    expect(e.summary).toMatchObject({ total: 4, done: 1, failed: 3 });
    expect(e.results.map((x: { error: { code: string; possiblyBilled: boolean } | null }) => x.error?.code)).toEqual([
      "validation",
      "outcome_unknown",
      "validation",
      undefined,
    ]);
    expect(e.results[1].error.possiblyBilled).toBe(true);
    // each line's own exit code, as that line alone would exit with generate
    expect(e.results.map((x: { exitCode: number }) => x.exitCode)).toEqual([2, 6, 4, 0]);
    for (const [i, line] of mixed.entries()) {
      const alone = await run(
        [
          "generate",
          line.prompt,
          ...(line.size ? ["-s", line.size] : []),
          ...(line.extra ? ["--extra", line.extra] : []),
        ],
        { env, cwd: dir },
      );
      expect(alone.code, line.prompt).toBe(e.results[i].exitCode);
    }
    expect(r.code).toBe(6);

    // without the billed line, the refusal (4) outranks the line that sent nothing (2)
    writeFileSync(join(dir, "mixed.jsonl"), [mixed[0], mixed[2]].map((l) => JSON.stringify(l)).join("\n"));
    expect((await run(["batch", "mixed.jsonl"], { env, cwd: dir })).code).toBe(4);
  });

  it.each([
    ['{"prompt": "x", "api-key": "k"}', /api-key is not allowed in a batch file/],
    ['{"prompt": "x", "bogus": 1}', /unknown key bogus \(a line takes prompt, model, n, size, /],
    ['{"prompt-file": "p.txt"}', /line 1: prompt-file is not taken in a batch line \(a line takes prompt, /],
    ['{"prompt": "x", "dry-run": true}', /line 1: dry-run is not taken in a batch line/],
    ["not json", /line 1: not valid JSON/],
    ['{"size": "square"}', /prompt is missing/],
  ])("line %s fails with a clear message", async (line, message) => {
    const dir = tmp();
    writeFileSync(join(dir, "b.jsonl"), line);
    const r = await run(["batch", "b.jsonl"], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(provider.count()).toBe(0);
  });

  it("batch --help lists only the flags batch takes; one it does not take is an error naming it, and nothing is sent", async () => {
    const help = await run(["batch", "--help"]);
    expect(help.code).toBe(0);
    for (const taken of ["--concurrency", "--size", "--image", "--out", "--force", "--provider", "--timeout"])
      expect(help.stdout).toContain(taken);
    for (const refused of ["--dry-run", "--prompt-file", "--prompt "]) expect(help.stdout).not.toContain(refused);
    const dir = tmp();
    writeFileSync(join(dir, "pf.txt"), "a kite\n");
    writeFileSync(join(dir, "b.jsonl"), '{"prompt": "a red kite"}\n');
    for (const [args, message] of [
      [
        ["--dry-run"],
        "batch: --dry-run is not a batch flag: it is per command; check a line with gptimg generate --dry-run",
      ],
      [["--prompt-file", "pf.txt"], "batch: --prompt-file is not a batch flag: each line gives its own prompt"],
      [["--prompt", "a kite"], "batch: --prompt is not a batch flag: each line gives its own prompt"],
    ] as const) {
      const r = await run(["batch", "b.jsonl", ...args], { env, cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(provider.count()).toBe(0);
    expect(existsSync(join(dir, ".b.jsonl.gptimg-state.json"))).toBe(false);
  });

  it("a line's out through a symlink that leads out of the output directory is refused; nothing is sent", async () => {
    const dir = tmp();
    const outside = tmp("gptimg-batch-outside-");
    mkdirSync(join(dir, "out"));
    symlinkSync(outside, join(dir, "out", "away"));
    writeFileSync(join(dir, "l.jsonl"), JSON.stringify({ prompt: "a cat", out: "away/cat.png" }));
    const r = await run(["batch", "l.jsonl", "-o", "out"], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: line 1: out away\/cat\.png: must name a file inside the output directory /m);
    expect(provider.count()).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a line's directory swapped for a symlink that leads out while its image is made: saved at the top, the line says why", async () => {
    const dir = tmp();
    const outside = tmp("gptimg-batch-outside-");
    const cats = join(dir, "out", "cats");
    mkdirSync(cats, { recursive: true });
    // the swap happens while the request is at the provider: after the line's out check, before the save
    const g = await gate(provider.url, 1, () => {
      renameSync(cats, `${cats}-was`);
      symlinkSync(outside, cats);
    });
    try {
      writeFileSync(join(dir, "l.jsonl"), JSON.stringify({ prompt: "a cat", out: "cats/cat.png" }));
      const r = await run(["batch", "l.jsonl", "-o", "out", "--json"], {
        env: { ...env, GPTIMG_BASE_URL: g.url },
        cwd: dir,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(outside)).toEqual([]);
      const top = join(dir, "out", "cat.png");
      const note = `image 1 saved as ${top}, at the top of the output directory instead: output directory ${cats} now leads to ${realpathSync(outside)}, outside the output directory ${join(dir, "out")} (a symbolic link put there since out was checked); nothing was written there`;
      expect(r.stderr).toContain(`note: line 1: ${note}`);
      const [line] = envelope(r).results;
      expect(line).toMatchObject({ ok: true, notes: [`note: ${note}`] });
      expect(line.images.map((i: { path: string }) => i.path)).toEqual([top]);
      expect(existsSync(top)).toBe(true);
    } finally {
      await g.close();
    }
  });

  it("the state file records the paths of finished lines", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "one.jsonl"), JSON.stringify({ prompt: "a cat", out: "cat.png" }));
    expect((await run(["batch", "one.jsonl"], { env, cwd: dir })).code).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, ".one.jsonl.gptimg-state.json"), "utf8"));
    expect(Object.values(state.done)).toEqual([expect.objectContaining({ line: 1, paths: [join(dir, "cat.png")] })]);
  });

  it("a state file that cannot be written costs only the skip, never a line's result", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "two.jsonl"),
      ["a cat", "a dog", "a hen"].map((p) => JSON.stringify({ prompt: p })).join("\n"),
    );
    // a directory where the state file goes: every write of it fails
    mkdirSync(join(dir, ".two.jsonl.gptimg-state.json"));
    const r = await run(["batch", "two.jsonl", "--concurrency", "2", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(envelope(r)).toMatchObject({ ok: true });
    expect(r.stderr.match(/warning: line \d: not recorded in .*, a re-run makes it again/g)).toHaveLength(3);
    expect(provider.count()).toBe(3);
    // no temporary state file is left behind
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
