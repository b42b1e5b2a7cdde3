import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pkg from "../../../../package.json" with { type: "json" };
import { CANARY, envelope, run, tmp } from "../helpers.ts";

describe("help, version, usage errors, completion, sizes", () => {
  it("--version prints the baked-in version, commit and target", async () => {
    const r = await run(["--version"]);
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8" }).trim();
    const target = `${process.platform}-${process.arch}`;
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(
      new RegExp(`^gptimg ${pkg.version} \\(commit ${commit}(-dirty)?, ${target}(-musl)?\\)\n$`),
    );
  });

  it("the source entry (bun src/main.ts) runs the same commands, marked -dev", async () => {
    const r = await run(["--version"], { source: true });
    expect(r).toMatchObject({
      code: 0,
      stdout: `gptimg ${pkg.version}-dev (commit source, ${process.platform}-${process.arch})\n`,
    });
    const s = await run(["sizes", "1920x1080"], { source: true });
    expect(s.code).toBe(2);
    expect(s.stdout).toContain("nearest legal: 1920x1088");
  });

  it.each([["--help"], ["help"], ["help", "generate"], ["edit", "--help"], ["batch", "-h"]])(
    "%j prints help, exit 0",
    async (...args) => {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: gptimg/);
    },
  );

  it("help generate lists every shared flag", async () => {
    const r = await run(["help", "generate"]);
    for (const f of [
      "-n, --n",
      "-s, --size",
      "-q, --quality",
      "-f, --format",
      "--compression",
      "--background",
      "--moderation",
      "--model",
      "--provider",
      "-o, --out",
      "--stream",
      "--timeout",
      "--extra KEY=VALUE",
      "--extra-json",
      "--dry-run",
      "--json",
      "--media",
      "--force",
      "--api-key",
      "--base-url",
      "--endpoint",
      "--token",
      "--config",
    ]) {
      expect(r.stdout).toContain(f);
    }
  });

  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["generate", "x", "--nope"], /generate: unknown flag --nope \(see gptimg help\)/],
    [["generate", "x", "--sise", "2k"], /unknown flag --sise; did you mean --size\?/],
    [["edit", "x", "--input-fidelty", "high"], /unknown flag --input-fidelty; did you mean --input-fidelity\?/],
    [["generate", "x", "-s"], /flag --size needs a value/],
    [["generate", "x", "--force=yes"], /flag --force does not take a value/],
    [["--json", "generate"], /unknown flag --json before the command/],
    [["generate"], /prompt: missing/],
    [["generate", "-"], /prompt: stdin was empty/],
    [["completion", "tcsh"], /choose one of bash, zsh, fish/],
    [["config", "nope"], /choose path, show, get, set or unset/],
    [["generate", "--prompt-file", "nope.txt"], /--prompt-file nope\.txt: cannot read it: no such file or directory/],
    [["batch", "nope.jsonl"], /batch nope\.jsonl: cannot read it: no such file or directory/],
  ])("%j exits 2 with a clear message", async (args, message) => {
    const r = await run(args, { env: { GPTIMG_API_KEY: "x-key-123" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe(args.includes("--json") && args[0] !== "--json" ? `${r.stdout.trim()}\n` : "");
    if (r.stdout) expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "usage" } });
  });

  it.each([
    [["generate", "a cat", "--base-url", "notaurl"], {}, "--base-url notaurl: must be an absolute http(s) URL"],
    [["generate", "a cat"], { GPTIMG_BASE_URL: "notaurl" }, "GPTIMG_BASE_URL (environment) notaurl: must be an"],
    [
      ["generate", "a cat"],
      { OPENAI_IMAGE_EXTRA_JSON: "{bad" },
      "OPENAI_IMAGE_EXTRA_JSON (environment) {bad: must be valid JSON",
    ],
    [["generate", "a cat", "--style", "vivid"], {}, "--style vivid: is not supported by gpt-image-2"],
    [["generate", "a cat", "--api-key", ""], {}, '--api-key "": must not be empty'],
    [["generate", "a cat", "--model", ""], {}, '--model "": must not be empty'],
    [
      ["generate", "a cat"],
      { GPTIMG_MEDIA: "maybe" },
      "GPTIMG_MEDIA (environment) maybe: must be one of 1, true, yes, on",
    ],
    [
      ["generate", "a cat"],
      { OPENAI_IMAGE_STREAM: "maybe" },
      "OPENAI_IMAGE_STREAM (environment) maybe: must be one of",
    ],
    [["jobs", "bogus"], {}, "jobs bogus: unknown subcommand; choose list, show ID or wait ID"],
    [["jobs", "wait", "../../etc"], {}, "jobs wait ../../etc: not a job id"],
    [["admin"], {}, "admin: needs a subcommand; choose token create"],
    [["admin", "token", "list", "foo"], {}, 'admin token list: unexpected word "foo"; usage: gptimg admin token'],
    [["admin", "usage", "foo"], {}, 'admin usage: unexpected word "foo"; usage: gptimg admin token'],
    [["jobs", "list", "foo"], {}, 'jobs list: unexpected word "foo"; usage: gptimg jobs list|show ID|wait ID'],
    [["config", "path", "foo"], {}, 'config path: unexpected word "foo"; usage: gptimg config path|show'],
    [["doctor", "foo"], {}, 'doctor: unexpected word "foo"; usage: gptimg doctor [flags]'],
    [["help", "generate", "foo"], {}, 'help: unexpected word "foo"; usage: gptimg help [COMMAND]'],
  ] as const)(
    "%j (env %j) names what was typed, its value and the rule, before any endpoint or key",
    async (args, env, message) => {
      const r = await run(args[0] === "generate" ? [...args, "--dry-run"] : [...args], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(r.stderr).toContain(message);
    },
  );

  it("an empty --prompt-file and an OPENAI_IMAGE_EXTRA_JSON from ./.env are named with the file", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "empty.txt"), " \n");
    const empty = await run(["generate", "--prompt-file", "empty.txt", "--dry-run"], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--prompt-file empty.txt: the file is empty (or only whitespace)");
    writeFileSync(join(dir, ".env"), "OPENAI_IMAGE_EXTRA_JSON=[1]\n");
    const dotenv = await run(["generate", "a cat", "--dry-run"], { cwd: dir });
    expect(dotenv.code).toBe(2);
    expect(dotenv.stderr).toContain("OPENAI_IMAGE_EXTRA_JSON (.env) [1]: must be a JSON object");
  });

  it("no arguments prints help on stderr (stdout carries data only) and exits 2", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/commands:/);
    expect(r.stdout).toBe("");
  });

  it.each([
    ["bash", /complete -o filenames -F _gptimg gptimg/],
    ["zsh", /#compdef gptimg/],
    ["fish", /complete -c gptimg .* -l size/],
  ])("completion %s", async (shell, marker) => {
    const r = await run(["completion", shell]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(marker);
    expect(r.stdout).toContain("generate");
  });

  it("the bash completion script is valid bash and completes commands", async () => {
    const { execFileSync } = await import("node:child_process");
    const script = (await run(["completion", "bash"])).stdout;
    const out = execFileSync("bash", [
      "-c",
      `${script}\nCOMP_WORDS=(gptimg ge); COMP_CWORD=1; _gptimg; echo "\${COMPREPLY[@]}"`,
    ]).toString();
    expect(out.trim()).toBe("generate");
  });

  it.each([
    ["a file after -i, not a flag", "edit x -i ''", "jobs.jsonl"],
    ["a file after --prompt-file", "generate --prompt-file jo", "jobs.jsonl"],
    ["the choices of --quality", "generate x -q me", "medium"],
    ["the choices of --format", "generate x --format w", "webp"],
    ["sizes and every alias after --size", "generate x --size 4k-", "4k-landscape 4k-portrait"],
    ["sizes after -s", "edit x -s 2k-s", "2k-square"],
    ["the commands after help", "help ge", "generate"],
    ["subcommands of config", "config s", "show set"],
    ["flags after a dash", "sizes --j", "--json"],
    ["nothing for a free value", "generate x --user ''", ""],
  ])("the bash completion completes %s", async (_what, line, expected) => {
    const { execFileSync } = await import("node:child_process");
    const { writeFileSync } = await import("node:fs");
    const dir = tmp();
    writeFileSync(join(dir, "jobs.jsonl"), "");
    const script = (await run(["completion", "bash"])).stdout;
    const out = execFileSync(
      "bash",
      [
        "-c",
        `${script}\nCOMP_WORDS=(gptimg ${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _gptimg; echo "\${COMPREPLY[@]}"`,
      ],
      { cwd: dir },
    ).toString();
    expect(out.trim()).toBe(expected);
  });

  it.each([
    ["1920x1080", 2, /1920x1080: not legal\n {2}- both sides must be multiples of 16\nnearest legal: 1920x1088/],
    ["4000x1000", 2, /the long side must be at most 3840/],
    ["16:9", 0, /16:9: legal, sent as 1536x864 \(ratio\)/],
    ["1536x1024", 0, /1536x1024: legal \(preset\)/],
    ["portrait", 0, /sent as 1024x1536 \(alias\)/],
  ])("sizes %s", async (size, code, out) => {
    const r = await run(["sizes", size]);
    expect(r.code).toBe(code);
    expect(r.stdout).toMatch(out);
  });

  it("sizes lists presets and aliases", async () => {
    const r = await run(["sizes", "--json"]);
    const e = JSON.parse(r.stdout);
    expect(e.presets).toContain("3840x2160");
    expect(e.aliases["4k"]).toBe("3840x2160");
  });
});

describe("doctor", () => {
  let provider: OfflineProvider;
  beforeAll(async () => {
    provider = await startOfflineProvider({ apiKey: CANARY });
  });
  afterAll(() => provider.close());

  it("one line per check, exit 0 when all is well, the key redacted", async () => {
    const r = await run(["doctor"], { env: { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual([
      "ok config",
      "ok key",
      "ok settings",
      "ok provider",
      "ok model",
      "ok clock",
    ]);
    expect(r.stdout).toContain("***redacted***");
    expect(r.stdout).toContain(`base URL ${provider.url} from GPTIMG_BASE_URL (environment)`);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  });

  it.each([
    ["a rejected key", { GPTIMG_API_KEY: "wrong-key-1" }, 3, /fail\s+provider/],
    ["no key", { GPTIMG_API_KEY: undefined }, 3, /fail\s+key/],
    ["an unknown model", { GPTIMG_MODEL: "no-such-model" }, 4, /fail\s+model\s+no-such-model not listed/],
    ["an unreachable provider", { GPTIMG_BASE_URL: "http://127.0.0.1:9/v1" }, 5, /fail\s+provider/],
  ])("%s fails with a non-zero exit", async (_n, extra, code, line) => {
    const r = await run(["doctor", "--json"], {
      env: { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY, ...extra },
    });
    expect(r.code).toBe(code);
    const e = JSON.parse(r.stdout);
    expect(e.ok).toBe(false);
    const text = e.checks
      .map((c: { status: string; name: string; detail: string }) => `${c.status} ${c.name} ${c.detail}`)
      .join("\n");
    expect(text).toMatch(line);
  });
});

describe("doctor with fallbacks", () => {
  let provider: OfflineProvider;
  beforeAll(async () => {
    provider = await startOfflineProvider({ apiKey: CANARY });
  });
  afterAll(() => provider.close());

  it("checks every fallback: ok when it answers, a warning when it cannot serve", async () => {
    const home = tmp();
    mkdirSync(join(home, ".config/gptimg"), { recursive: true });
    const config = {
      provider: "main",
      providers: {
        main: { baseUrl: "http://127.0.0.1:9/v1", apiKey: CANARY, fallbacks: ["backup", "spare"] },
        backup: { baseUrl: provider.url, apiKey: CANARY },
        spare: { baseUrl: provider.url },
      },
    };
    writeFileSync(join(home, ".config/gptimg/config.json"), JSON.stringify(config), { mode: 0o600 });
    const r = await run(["doctor"], { env: { HOME: home } });
    expect(r.code).toBe(5); // the primary is down
    expect(r.stdout).toMatch(/^fail provider .*main/m);
    expect(r.stdout).toMatch(new RegExp(`^ok   fallback  backup \\([a-z-]+\\) ${provider.url}: \\d+ models`, "m"));
    expect(r.stdout).toMatch(/^warn fallback {2}spare skipped: no key \(set providers\.spare\.apiKey or keyEnv\)$/m);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  });
});

describe("Ctrl-C", () => {
  let provider: OfflineProvider;
  beforeAll(async () => {
    provider = await startOfflineProvider({ apiKey: CANARY, latencyMs: 4000 });
  });
  afterAll(() => provider.close());

  it("SIGINT aborts the request, exits 130 and leaves no partial file", async () => {
    const dir = tmp();
    const r = await run(["generate", "slow", "-o", "out/", "--json"], {
      env: { GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY },
      cwd: dir,
      onSpawn: (child) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (provider.count() > 0 || Date.now() - started > 8000) {
            clearInterval(poll);
            child.kill("SIGINT");
          }
        }, 20);
      },
    });
    expect(provider.count()).toBe(1);
    expect(r.code).toBe(130);
    expect(envelope(r).error).toMatchObject({ code: "aborted", message: "interrupted" });
    expect(r.stderr).toMatch(/^error: interrupted$/m);
    expect(readdirSync(`${dir}/out`)).toEqual([]);
  });
});
