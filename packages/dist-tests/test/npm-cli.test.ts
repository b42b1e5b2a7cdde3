import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostTarget, npmInstall, run, tarball, tmp, VERSION } from "./helpers.ts";

const KEY = "sk-canary-dist-npm-launcher";
const PLATFORM: Record<string, string> = { "windows-x64": "win32-x64" };
const target = hostTarget();
const platformPackage = `gptimg-cli-${PLATFORM[target] ?? target}`;

let prefix: string;
let home: string;
let provider: OfflineProvider;
const gptimg = (): string => join(prefix, "bin/gptimg");
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  ...extra,
});

beforeAll(async () => {
  // `npm i -g gptimg` into a throwaway prefix, from the tarballs alone
  prefix = tmp("gptimg-npm-prefix-");
  home = tmp("gptimg-npm-home-");
  await npmInstall(["-g", "--prefix", prefix, tarball("gptimg"), tarball(platformPackage)], home);
  provider = await startOfflineProvider({ apiKey: KEY });
});
afterAll(async () => {
  await provider?.close();
  for (const d of [prefix, home]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Calls `then` once the binary's request has reached the (hanging) provider: it is running and waiting. */
function whenWaiting(then: () => void): void {
  const before = provider.count();
  let tries = 0;
  const poll = setInterval(() => {
    if (provider.count() > before || ++tries > 300) {
      clearInterval(poll);
      then();
    }
  }, 100);
}

describe("npm i -g gptimg: the launcher runs this platform's binary", () => {
  it("gptimg --version names the version, commit and target", async () => {
    const r = await run(gptimg(), ["--version"], { env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^gptimg ${VERSION.replaceAll(".", "\\.")} \\(commit [0-9a-f]{12}(-dirty)?, ${target}\\)\\n$`),
    );
  });

  it("a dry-run prints the request, without the key", async () => {
    const r = await run(
      gptimg(),
      ["generate", "a lighthouse at dusk", "--size", "16:9", "--dry-run", "--api-key", KEY],
      {
        env: env(),
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1536x864");
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
  });

  it("a real generate against the offline provider saves a PNG", async () => {
    const out = join(home, "out");
    const r = await run(gptimg(), ["generate", "a lighthouse at dusk", "-o", `${out}/`], {
      env: env({ GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: KEY }),
    });
    expect(r.stderr).not.toContain(KEY);
    expect(r.code).toBe(0);
    const [file] = readdirSync(out);
    expect(r.stdout.trim()).toBe(join(out, file!));
    expect([...readFileSync(join(out, file!)).subarray(0, 8)]).toEqual([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ]);
  });

  it("passes the binary's exit code through", async () => {
    const r = await run(gptimg(), ["generate", "x", "--size", "5000x5000", "--dry-run", "--api-key", KEY], {
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/size/);
  });

  it("passes a signal on to the binary and ends by it", async () => {
    provider.setFaults([{ kind: "hang" }]);
    const r = await run(gptimg(), ["generate", "x", "-o", join(home, "hang/")], {
      env: env({ GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: KEY }),
      onSpawn: (child) => whenWaiting(() => child.kill("SIGTERM")),
    });
    provider.setFaults([]);
    expect(r.signal).toBe("SIGTERM");
  });

  it("passes Ctrl-C from a script (no terminal) on: gptimg stops cleanly, exit 130", async () => {
    provider.setFaults([{ kind: "hang" }]);
    const r = await run(gptimg(), ["generate", "x", "-o", join(home, "interrupted/")], {
      env: env({ GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: KEY }),
      onSpawn: (child) => whenWaiting(() => child.kill("SIGINT")),
    });
    provider.setFaults([]);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("interrupted");
  });
});

describe("npx gptimg", () => {
  it("runs the binary from the tarballs without installing anything", async () => {
    const cache = tmp("gptimg-npx-cache-");
    try {
      const r = await run(
        "npx",
        [
          "--offline",
          "--yes",
          `--package=${tarball("gptimg")}`,
          `--package=${tarball(platformPackage)}`,
          "gptimg",
          "--version",
        ],
        { env: env({ npm_config_cache: cache, npm_config_update_notifier: "false" }), cwd: home, timeoutMs: 180_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^gptimg ${VERSION.replaceAll(".", "\\.")} \\(commit `));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe("the launcher without a binary for this platform", () => {
  it("says which package is missing and how to get it, exit 1", async () => {
    const bare = tmp("gptimg-npm-bare-");
    try {
      await npmInstall(["-g", "--prefix", bare, "--omit=optional", tarball("gptimg")], home);
      const r = await run(join(bare, "bin/gptimg"), ["--version"], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(
        `the package @gptimg/cli-${PLATFORM[target] ?? target}, which holds the gptimg binary`,
      );
      expect(r.stderr).toContain("--omit=optional");
      // GPTIMG_BINARY_PATH points the launcher at a binary of one's own
      const own = await run(join(bare, "bin/gptimg"), ["--version"], {
        env: env({
          GPTIMG_BINARY_PATH: join(prefix, `lib/node_modules/@gptimg/cli-${PLATFORM[target] ?? target}/bin/gptimg`),
        }),
      });
      expect(own.stdout).toContain(`gptimg ${VERSION}`);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
