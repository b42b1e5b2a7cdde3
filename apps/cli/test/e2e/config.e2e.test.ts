import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, CANARY, envelope, filesContaining, mode, run, tmp } from "../helpers.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
});
afterAll(() => provider.close());
beforeEach(() => provider.clearRequests());

const configOf = (home: string): string => join(home, ".config/gptimg/config.json");

describe("login, logout and the config file", () => {
  it("login reads a piped key, stores it 0600 in a 0700 directory, never prints it", async () => {
    const home = tmp();
    const r = await run(["login", "--base-url", provider.url], { env: { HOME: home }, input: `${CANARY}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    const path = configOf(home);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(home, ".config/gptimg"))).toBe(0o700);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      provider: "default",
      providers: { default: { profile: "openai-compatible", baseUrl: provider.url, apiKey: CANARY } },
    });
    // …and the stored key works.
    const g = await run(["generate", "a cat", "--json"], { env: { HOME: home }, cwd: home });
    expect(g.code).toBe(0);
    expect(filesContaining(home, CANARY, [path])).toEqual([]);
  });

  it("login --base-url stores openai-compatible for another host than a profile's own, and says so; --profile or a profile's own URL decide otherwise", async () => {
    const home = tmp();
    const login = (args: string[]) => run(["login", ...args], { env: { HOME: home }, input: `${CANARY}\n` });
    const stored = () => JSON.parse(readFileSync(configOf(home), "utf8")).providers;
    const relay = await login(["--provider", "relay", "--base-url", "https://relay.example/v1"]);
    expect(relay.code).toBe(0);
    expect(relay.stderr).toContain(
      "saved the key of provider relay (profile openai-compatible, as https://relay.example/v1 is not the base URL of openai or wellapi; choose another with --profile)",
    );
    expect(stored().relay).toMatchObject({ profile: "openai-compatible", baseUrl: "https://relay.example/v1" });
    expect((await login(["--provider", "official", "--base-url", "https://API.openai.com/v1/"])).stderr).toContain(
      "saved the key of provider official (profile openai) to",
    );
    expect((await login(["--provider", "well", "--base-url", "https://wellapi.ai/v1"])).code).toBe(0);
    expect(
      (await login(["--provider", "forced", "--profile", "openai", "--base-url", "https://relay.example/v1"])).code,
    ).toBe(0);
    expect((await login(["--provider", "talk", "--profile", "chat", "--base-url", "https://a.example/v1"])).code).toBe(
      0,
    );
    // a new host for a provider whose profile has no host of its own keeps that profile
    expect((await login(["--provider", "talk", "--base-url", "https://b.example/v1"])).stderr).toContain(
      "(profile chat)",
    );
    expect(
      Object.fromEntries(Object.entries(stored()).map(([k, v]) => [k, (v as { profile: string }).profile])),
    ).toEqual({
      relay: "openai-compatible",
      official: "openai",
      well: "wellapi",
      forced: "openai",
      talk: "chat",
    });
    expect(filesContaining(home, CANARY, [configOf(home)])).toEqual([]);
  });

  it("login takes a base URL for OpenAI's as requests and keys do, and stores it as they compare it", async () => {
    const home = tmp();
    const login = (args: string[]) => run(["login", ...args], { env: { HOME: home }, input: `${CANARY}\n` });
    const stored = () => JSON.parse(readFileSync(configOf(home), "utf8")).providers;
    // an empty query: OpenAI's URL (login always said so), now stored without it, so requests go to /v1/images/…
    const own = await login(["--provider", "own", "--base-url", "HTTPS://API.openai.com:443/v1/?"]);
    expect(own.stderr).toContain("saved the key of provider own (profile openai) to");
    expect(stored().own).toMatchObject({ profile: "openai", baseUrl: "https://api.openai.com/v1" });
    const dry = await run(["generate", "a cat", "--dry-run", "--provider", "own"], { env: { HOME: home }, cwd: home });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("POST https://api.openai.com/v1/images/generations\n");
    // a query is not OpenAI's URL (login took it for it, where the key was not sent)
    const queried = await login(["--provider", "queried", "--base-url", "https://api.openai.com/v1?x=1"]);
    expect(queried.stderr).toContain(
      "(profile openai-compatible, as https://api.openai.com/v1?x=1 is not the base URL",
    );
    // the Worker endpoint is stored as compared too
    const ep = await run(["login", "--endpoint", "https://IMG.example.com:443/"], {
      env: { HOME: home },
      input: "gpi_canary_team_token_1234567890\n",
    });
    expect(ep.code).toBe(0);
    expect(JSON.parse(readFileSync(configOf(home), "utf8")).endpoint.url).toBe("https://img.example.com");
    expect(filesContaining(home, CANARY, [configOf(home)])).toEqual([]);
  });

  it("login through a pseudo-terminal does not echo the key", async () => {
    const home = tmp();
    const shown = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        "python3",
        [
          join(import.meta.dirname, "..", "pty_login.py"),
          CANARY,
          BIN,
          "login",
          "--provider",
          "work",
          "--base-url",
          provider.url,
        ],
        { env: { PATH: process.env.PATH, HOME: home }, timeout: 25_000 },
        (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout }),
      );
    });
    expect(shown.code).toBe(0);
    expect(shown.out).toContain("API key for provider work (input hidden)");
    expect(shown.out).not.toContain(CANARY);
    const cfg = JSON.parse(readFileSync(configOf(home), "utf8"));
    expect(cfg.providers.work.apiKey).toBe(CANARY);
    expect(mode(configOf(home))).toBe(0o600);
  });

  it("a config file found 0644 is tightened to 0600 (and its directory to 0700)", async () => {
    const home = tmp();
    mkdirSync(join(home, ".config/gptimg"), { recursive: true, mode: 0o755 });
    chmodSync(join(home, ".config/gptimg"), 0o755);
    writeFileSync(
      configOf(home),
      JSON.stringify({ providers: { default: { apiKey: CANARY, baseUrl: provider.url } } }),
      { mode: 0o644 },
    );
    chmodSync(configOf(home), 0o644);
    const r = await run(["config", "path"], { env: { HOME: home } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(configOf(home));
    expect(r.stderr).toMatch(/tightened .*config\.json from 0644 to 0600/);
    expect(mode(configOf(home))).toBe(0o600);
    expect(mode(join(home, ".config/gptimg"))).toBe(0o700);
  });

  it("config set/get/show/unset; show and get redact keys", async () => {
    const home = tmp();
    const e = { HOME: home };
    expect((await run(["config", "set", "providers.backup.baseUrl", provider.url], { env: e })).code).toBe(0);
    expect((await run(["config", "set", "providers.backup.apiKey", "-"], { env: e, input: CANARY })).code).toBe(0);
    expect((await run(["config", "set", "providers.backup.extraBody", '{"moderation":"low"}'], { env: e })).code).toBe(
      0,
    );
    expect((await run(["config", "set", "rates.gpt-image-2.imageOutput", "40"], { env: e })).code).toBe(0);
    expect((await run(["config", "get", "providers.backup.baseUrl"], { env: e })).stdout.trim()).toBe(provider.url);
    const key = await run(["config", "get", "providers.backup.apiKey"], { env: e });
    expect(key.stdout.trim()).toBe("***redacted***");
    const show = await run(["config", "show", "--json"], { env: e });
    expect(JSON.parse(show.stdout).config.providers.backup).toEqual({
      baseUrl: provider.url,
      apiKey: "***redacted***",
      extraBody: { moderation: "low" },
    });
    expect(show.stdout + show.stderr).not.toContain(CANARY);
    const bad = await run(["config", "set", "providers.backup.fallbacks", "ghost"], { env: e });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/providers\.backup\.fallbacks ghost: names an unknown provider/);
    const before = readFileSync(configOf(home), "utf8");
    const badUrl = await run(["config", "set", "providers.backup.baseUrl", "notaurl"], { env: e });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/providers\.backup\.baseUrl notaurl: must be an absolute http\(s\) URL/);
    expect(readFileSync(configOf(home), "utf8")).toBe(before);
    const unknown = await run(["config", "set", "nope", "1"], { env: e });
    expect(unknown.code).toBe(2);
    expect((await run(["config", "unset", "providers.backup.extraBody"], { env: e })).code).toBe(0);
    expect((await run(["config", "get", "providers.backup.extraBody"], { env: e })).code).toBe(2);
    expect(mode(configOf(home))).toBe(0o600);
  });

  it("logout removes the stored key", async () => {
    const home = tmp();
    await run(["login", "--base-url", provider.url], { env: { HOME: home }, input: CANARY });
    const r = await run(["logout"], { env: { HOME: home } });
    expect(r.code).toBe(0);
    expect(readFileSync(configOf(home), "utf8")).not.toContain(CANARY);
    expect((await run(["generate", "x"], { env: { HOME: home } })).code).toBe(3);
  });

  it.each(["ftp://example.com/v1", "example.com/v1"])(
    "login --base-url %s exits 2 and writes nothing, so later commands still load",
    async (baseUrl) => {
      const home = tmp();
      const r = await run(["login", "--base-url", baseUrl], { env: { HOME: home }, input: `${CANARY}\n` });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--base-url ${baseUrl}: must be an absolute http(s) URL`);
      expect(existsSync(configOf(home))).toBe(false);
      expect((await run(["logout", "--all"], { env: { HOME: home } })).code).toBe(0);
    },
  );

  it("login --endpoint stores the Worker endpoint and team token", async () => {
    const home = tmp();
    const r = await run(["login", "--endpoint", "http://127.0.0.1:9"], {
      env: { HOME: home },
      input: "team_canary_token_1\n",
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(configOf(home), "utf8")).endpoint).toEqual({
      url: "http://127.0.0.1:9",
      token: "team_canary_token_1",
    });
    const dry = await run(["generate", "x", "--dry-run"], { env: { HOME: home } });
    expect(dry.stdout).toContain("POST http://127.0.0.1:9/v1/jobs");
    expect(dry.stdout).toMatch(/^idempotency-key: /m);
    expect(dry.stdout).not.toContain("team_canary_token_1");
  });

  it("an invalid config exits 2 naming the field", async () => {
    const home = tmp();
    mkdirSync(join(home, ".config/gptimg"), { recursive: true });
    writeFileSync(configOf(home), JSON.stringify({ providers: { x: { profile: "nope" } } }), { mode: 0o600 });
    const r = await run(["generate", "a"], { env: { HOME: home } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/providers\.x\.profile nope: must be one of/);
  });

  it("a config file with an unknown key is found, shown, diagnosed and repaired by the CLI; other commands refuse it", async () => {
    const home = tmp();
    const e = { HOME: home };
    mkdirSync(join(home, ".config/gptimg"), { recursive: true });
    const good = { provider: "p", providers: { p: { baseUrl: provider.url, apiKey: CANARY } } };
    writeFileSync(configOf(home), JSON.stringify({ bogusKey: 1, ...good }), { mode: 0o600 });
    const gen = await run(["generate", "a cat"], { env: e, cwd: home });
    expect(gen.code).toBe(2);
    expect(gen.stderr).toContain(`config ${configOf(home)}: bogusKey: unknown key`);
    const path = await run(["config", "path"], { env: e });
    expect(path.code).toBe(0);
    expect(path.stdout.trim()).toBe(configOf(home));
    const show = await run(["config", "show", "--json"], { env: e });
    expect(show.code).toBe(2);
    expect(JSON.parse(show.stdout)).toEqual({
      ok: false,
      path: configOf(home),
      exists: true,
      config: { bogusKey: 1, provider: "p", providers: { p: { baseUrl: provider.url, apiKey: "***redacted***" } } },
      problems: ["bogusKey: unknown key"],
    });
    const human = await run(["config", "show"], { env: e });
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("  bogusKey: unknown key");
    const doctor = await run(["doctor", "--json"], { env: e, cwd: home });
    expect(doctor.code).toBe(2);
    const report = JSON.parse(doctor.stdout);
    expect(report).toMatchObject({ ok: false, route: "direct" });
    expect(report.checks[0]).toMatchObject({ name: "config", status: "fail", exitCode: 2 });
    expect(report.checks[0].detail).toContain(`${configOf(home)}: bogusKey: unknown key; gptimg config show names`);
    for (const r of [show, human, doctor]) expect(r.stdout + r.stderr).not.toContain(CANARY);
    chmodSync(configOf(home), 0o600);
    const unset = await run(["config", "unset", "bogusKey"], { env: e });
    expect([unset.code, unset.stderr.trim()]).toEqual([0, `unset bogusKey in ${configOf(home)}`]);
    expect(JSON.parse(readFileSync(configOf(home), "utf8"))).toEqual(good);
    expect(mode(configOf(home))).toBe(0o600);
    expect((await run(["doctor", "--json"], { env: e, cwd: home })).code).toBe(0);
    // two problems: removing one says what is left, and a change adding a new one is refused
    writeFileSync(
      configOf(home),
      JSON.stringify({ ...good, x: 1, providers: { p: { ...good.providers.p, typo: 2 } } }),
    );
    const first = await run(["config", "unset", "providers.p.typo"], { env: e });
    expect(first.code).toBe(2);
    expect(first.stderr).toContain(`config ${configOf(home)}: still to fix: x: unknown key`);
    const worse = await run(["config", "set", "provider", "ghost"], { env: e });
    expect(worse.code).toBe(2);
    expect(worse.stderr).toMatch(/provider ghost: names an unknown provider/);
    expect((await run(["config", "unset", "x"], { env: e })).code).toBe(0);
    expect(JSON.parse(readFileSync(configOf(home), "utf8"))).toEqual(good);
    // a file that is not JSON: its path is still told, doctor fails its config check, nothing is quoted
    writeFileSync(configOf(home), `{"apiKey": "${CANARY}",`);
    expect((await run(["config", "path"], { env: e })).stdout.trim()).toBe(configOf(home));
    const broken = await run(["doctor", "--json"], { env: e, cwd: home });
    expect(broken.code).toBe(2);
    expect(JSON.parse(broken.stdout).checks[0]).toMatchObject({ name: "config", status: "fail" });
    expect(JSON.parse(broken.stdout).checks[0].detail).toMatch(/not valid JSON/);
    const notJson = await run(["config", "show"], { env: e });
    expect(notJson.code).toBe(2);
    expect(broken.stdout + notJson.stderr).not.toContain(CANARY);
  });

  it("config set refuses a default provider nobody configured, and a default size out of the model's rules", async () => {
    const home = tmp();
    const e = { HOME: home };
    expect((await run(["config", "set", "providers.y.baseUrl", provider.url], { env: e })).code).toBe(0);
    const before = readFileSync(configOf(home), "utf8");
    const nope = await run(["config", "set", "provider", "nope"], { env: e });
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/^error: provider nope: names an unknown provider \(one of y, openai/);
    const size = await run(["config", "set", "providers.y.defaults.size", "5000x5000"], { env: e });
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/providers\.y\.defaults\.size 5000x5000: .*3840.*\(nearest legal: /);
    expect(readFileSync(configOf(home), "utf8")).toBe(before);
    expect((await run(["config", "set", "provider", "y"], { env: e })).code).toBe(0);
    expect((await run(["config", "set", "providers.y.defaults.size", "16:9"], { env: e })).code).toBe(0);
  });

  it("a config path or ./.env that is a directory is refused, not skipped as missing", async () => {
    const home = tmp();
    mkdirSync(configOf(home), { recursive: true });
    const r = await run(["generate", "a", "--dry-run"], { env: { HOME: home }, cwd: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config ${configOf(home)}: not a regular file`);
    const cwd = tmp();
    mkdirSync(join(cwd, ".env"));
    const d = await run(["generate", "a", "--dry-run"], { env: { HOME: tmp() }, cwd });
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`error: .env ${join(cwd, ".env")}: cannot read: is a directory, not a file (EISDIR)`);
  });

  it.skipIf(statSync("/proc/1", { throwIfNoEntry: false })?.size !== 0)(
    "a directory whose stat size is 0 (as an empty one on btrfs) at the config path or ./.env is refused too",
    async () => {
      const home = tmp();
      const c = await run(["generate", "a", "--dry-run", "--config", "/proc/1"], { env: { HOME: home }, cwd: home });
      expect(c.code).toBe(2);
      expect(c.stderr).toContain("config /proc/1: not a regular file");
      const cwd = tmp();
      symlinkSync("/proc/1", join(cwd, ".env"));
      const d = await run(["generate", "a", "--dry-run"], { env: { HOME: tmp() }, cwd });
      expect(d.code).toBe(2);
      expect(d.stderr).toContain(`error: .env ${join(cwd, ".env")}: cannot read: is a directory, not a file (EISDIR)`);
    },
  );
});

describe("settings precedence: flags > GPTIMG_* environment > .env > config file", () => {
  const good = CANARY;
  const bad = "wrong-key-xyz";
  async function home(configKey: string): Promise<string> {
    const h = tmp();
    mkdirSync(join(h, ".config/gptimg"), { recursive: true });
    writeFileSync(
      configOf(h),
      JSON.stringify({ providers: { default: { baseUrl: provider.url, apiKey: configKey } } }),
      { mode: 0o600 },
    );
    return h;
  }
  it.each<[string, { flag?: string; env?: string; dotenv?: string; config: string }, number]>([
    ["config only", { config: good }, 0],
    [".env beats config", { dotenv: good, config: bad }, 0],
    ["environment beats .env", { env: good, dotenv: bad, config: bad }, 0],
    ["flag beats environment", { flag: good, env: bad, dotenv: bad, config: bad }, 0],
    ["a wrong flag loses to nothing", { flag: bad, env: good, config: good }, 3],
    ["a wrong environment value wins over a good .env", { env: bad, dotenv: good, config: good }, 3],
  ])("%s", async (_name, layers, exit) => {
    const h = await home(layers.config);
    if (layers.dotenv) writeFileSync(join(h, ".env"), `# comment\nexport GPTIMG_API_KEY="${layers.dotenv}"\n`);
    const r = await run(["generate", "a cat", ...(layers.flag ? ["--api-key", layers.flag] : [])], {
      env: { HOME: h, ...(layers.env ? { GPTIMG_API_KEY: layers.env } : {}) },
      cwd: h,
    });
    expect(r.code).toBe(exit);
  });

  it("OPENAI_API_KEY is not sent to a host other than OpenAI's", async () => {
    const r = await run(["generate", "a cat", "--dry-run"], {
      env: { OPENAI_API_KEY: CANARY, GPTIMG_BASE_URL: provider.url },
    });
    expect(r.stderr).toMatch(/no API key found/);
    const g = await run(["generate", "a cat"], { env: { OPENAI_API_KEY: CANARY, GPTIMG_BASE_URL: provider.url } });
    expect(g.code).toBe(3);
  });

  it("a stored key goes only to its own base URL, never to one a .env or flag names", async () => {
    const h = await home(CANARY);
    const other = await startOfflineProvider();
    try {
      writeFileSync(join(h, ".env"), `GPTIMG_BASE_URL=${other.url}\n`);
      const r = await run(["generate", "a cat", "--json"], { env: { HOME: h }, cwd: h });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`the configured key of provider default is sent only to ${provider.url}`);
      const flagged = await run(["generate", "a cat", "--base-url", other.url, "--dry-run"], { env: { HOME: h } });
      expect(flagged.stderr).toMatch(/no API key found/);
      expect(other.count()).toBe(0);
      expect(r.stdout + r.stderr + flagged.stdout + flagged.stderr).not.toContain(CANARY);
      // the stored base URL, given again with a trailing slash, is still its own
      const same = await run(["generate", "a cat"], { env: { HOME: h, GPTIMG_BASE_URL: `${provider.url}/` } });
      expect(same.code).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("a key from the environment never goes to a host only ./.env names, unless that .env supplies the key", async () => {
    const h = tmp();
    const other = await startOfflineProvider({ apiKey: CANARY });
    try {
      writeFileSync(join(h, ".env"), `GPTIMG_BASE_URL=${other.url}\n`);
      const r = await run(["generate", "a cat"], { env: { HOME: h, GPTIMG_API_KEY: CANARY }, cwd: h });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `not used: GPTIMG_BASE_URL in ./.env names ${other.url}; the key in GPTIMG_API_KEY (environment) is not sent to a host only a .env names`,
      );
      writeFileSync(join(h, ".env"), `OPENAI_BASE_URL=${other.url}\n`);
      expect((await run(["generate", "a cat"], { env: { HOME: h, OPENAI_API_KEY: CANARY }, cwd: h })).code).toBe(3);
      expect(other.count()).toBe(0);
      // the same .env with its own key: used
      writeFileSync(join(h, ".env"), `GPTIMG_BASE_URL=${other.url}\nGPTIMG_API_KEY=${CANARY}\n`);
      const ok = await run(["generate", "a cat"], { env: { HOME: h, GPTIMG_API_KEY: "sk-user-env-key-1" }, cwd: h });
      expect(ok.code).toBe(0);
      expect(other.count()).toBe(1);
      // a team token from the environment and an endpoint from .env: refused, nothing sent
      writeFileSync(join(h, ".env"), "GPTIMG_ENDPOINT=http://127.0.0.1:10\n");
      const w = await run(["generate", "a cat"], { env: { HOME: h, GPTIMG_TOKEN: "team-token-env-1" }, cwd: h });
      expect(w.code).toBe(3);
      expect(w.stderr).toContain("GPTIMG_ENDPOINT in ./.env names http://127.0.0.1:10; the team token in GPTIMG_TOKEN");
      expect(r.stdout + r.stderr + w.stdout + w.stderr).not.toContain(CANARY);
    } finally {
      await other.close();
    }
  });

  it("a second login --provider keeps the default and says how to switch; --default or a yes on a terminal switches", async () => {
    const h = tmp();
    expect((await run(["login", "--base-url", provider.url], { env: { HOME: h }, input: `${CANARY}\n` })).code).toBe(0);
    const second = await run(["login", "--provider", "work", "--base-url", provider.url], {
      env: { HOME: h },
      input: `${CANARY}\n`,
    });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("note: the default provider is still default; use this one with --provider work");
    expect(second.stderr).toContain("gptimg config set provider work");
    expect(JSON.parse(readFileSync(configOf(h), "utf8")).provider).toBe("default");
    const third = await run(["login", "--provider", "spare", "--base-url", provider.url, "--default"], {
      env: { HOME: h },
      input: `${CANARY}\n`,
    });
    expect(third.stderr).toContain("spare is now the default provider (was default)");
    expect(JSON.parse(readFileSync(configOf(h), "utf8")).provider).toBe("spare");
    const asked = await new Promise<string>((resolve) => {
      execFile(
        "python3",
        [
          join(import.meta.dirname, "../pty_login.py"),
          CANARY,
          BIN,
          "login",
          "--provider",
          "work",
          "--base-url",
          provider.url,
        ],
        { env: { PATH: process.env.PATH, HOME: h, ANSWER: "y" }, timeout: 25_000 },
        (_err, stdout) => resolve(stdout),
      );
    });
    expect(asked).toContain("Make work the default provider instead of spare? [y/N]");
    expect(asked).not.toContain(CANARY);
    expect(JSON.parse(readFileSync(configOf(h), "utf8")).provider).toBe("work");
  });

  it("per-provider defaults fill what flags leave out; extraBody never overrides an explicit flag; bad defaults name the field", async () => {
    const h = tmp();
    mkdirSync(join(h, ".config/gptimg"), { recursive: true });
    const cfg = {
      provider: "p",
      providers: {
        p: {
          baseUrl: provider.url,
          apiKey: CANARY,
          defaults: { quality: "low", size: "1536x1024", n: 2, format: "webp", compression: 60 },
          extraBody: { moderation: "low", quality: "medium" },
        },
      },
    };
    writeFileSync(configOf(h), JSON.stringify(cfg), { mode: 0o600 });
    const r = await run(["generate", "a cat", "-q", "high", "--json"], { env: { HOME: h }, cwd: h });
    expect(r.code).toBe(0);
    expect(envelope(r).images).toHaveLength(2);
    expect(provider.requests[0]?.fields).toMatchObject({
      quality: "high",
      size: "1536x1024",
      n: 2,
      output_format: "webp",
      output_compression: 60,
      moderation: "low",
    });
    const set = await run(["config", "set", "providers.p.defaults.quality", "ultra"], { env: { HOME: h } });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain("providers.p.defaults.quality ultra: must be one of low, medium, high, auto");
  });

  it("a stored team token goes only to its own endpoint", async () => {
    const h = tmp();
    mkdirSync(join(h, ".config/gptimg"), { recursive: true });
    writeFileSync(configOf(h), JSON.stringify({ endpoint: { url: "http://127.0.0.1:9", token: CANARY } }), {
      mode: 0o600,
    });
    writeFileSync(join(h, ".env"), "GPTIMG_ENDPOINT=http://127.0.0.1:10\n");
    const dry = await run(["generate", "a cat", "--dry-run"], { env: { HOME: h }, cwd: h });
    expect(dry.stdout).toContain("http://127.0.0.1:10/v1/jobs");
    const r = await run(["generate", "a cat"], { env: { HOME: h }, cwd: h });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no team token for http://127.0.0.1:10");
    expect(dry.stdout + dry.stderr + r.stdout + r.stderr).not.toContain(CANARY);
  });

  it("an endpoint with credentials in it is refused wherever it comes from, without echoing them", async () => {
    const r = await run(["generate", "a cat"], {
      env: { HOME: tmp(), GPTIMG_ENDPOINT: "https://alice:pw-canary-9@img.example.com", GPTIMG_TOKEN: "t" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("endpoint: must not contain credentials or a query");
    expect(r.stdout + r.stderr).not.toContain("pw-canary-9");
  });

  it("GPTIMG_CONFIG in a .env is ignored, and a file that is not a config is neither changed nor quoted", async () => {
    const h = tmp();
    const script = join(h, "script.sh");
    writeFileSync(script, `#!/bin/sh\necho ${CANARY}\n`, { mode: 0o755 });
    chmodSync(script, 0o755);
    writeFileSync(join(h, ".env"), `GPTIMG_CONFIG=${script}\n`);
    const viaDotenv = await run(["config", "path"], { env: { HOME: h }, cwd: h });
    expect(viaDotenv.stdout.trim()).toBe(configOf(h));
    const viaFlag = await run(["config", "show", "--config", script], { env: { HOME: h }, cwd: h });
    expect(viaFlag.code).toBe(2);
    expect(viaFlag.stderr).toContain("not valid JSON");
    expect(viaFlag.stdout + viaFlag.stderr).not.toContain(CANARY);
    expect(mode(script)).toBe(0o755);
  });

  it("a provider's keyEnv names the variable holding its key; fallbacks take over on 5xx", async () => {
    const h = tmp();
    mkdirSync(join(h, ".config/gptimg"), { recursive: true });
    writeFileSync(
      configOf(h),
      JSON.stringify({
        provider: "main",
        providers: {
          main: { baseUrl: "http://127.0.0.1:9/v1", keyEnv: "MAIN_KEY", fallbacks: ["backup"] },
          backup: { baseUrl: provider.url, keyEnv: "BACKUP_KEY" },
        },
      }),
      { mode: 0o600 },
    );
    const r = await run(["generate", "a cat", "--json"], {
      env: { HOME: h, MAIN_KEY: "main-key-1", BACKUP_KEY: CANARY },
      cwd: h,
    });
    expect(r.code).toBe(0);
    expect(envelope(r).provider).toBe("backup");
    expect(existsSync(envelope(r).images[0].path)).toBe(true);
  });
});
