import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostTarget, RELEASE_DIR, ROOT, run, serveDir, tmp, VERSION } from "./helpers.ts";

const target = hostTarget();
const file = `gptimg-${VERSION}-${target}`;
let good: { url: string; close: () => Promise<void> };
let bad: { url: string; close: () => Promise<void> };
let tampered: string;
let home: string;

beforeAll(async () => {
  // the release folder as `npm run pack` left it, served as the release host would
  good = await serveDir(RELEASE_DIR);
  // the same release with one byte of the binary changed, SHA256SUMS untouched
  tampered = tmp("gptimg-tampered-");
  copyFileSync(join(RELEASE_DIR, "SHA256SUMS"), join(tampered, "SHA256SUMS"));
  const bytes = readFileSync(join(RELEASE_DIR, file));
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
  writeFileSync(join(tampered, file), bytes);
  bad = await serveDir(tampered);
  home = tmp("gptimg-install-home-");
});
afterAll(async () => {
  await good?.close();
  await bad?.close();
  for (const d of [tampered, home]) if (d) rmSync(d, { recursive: true, force: true });
});

const install = (base: string, args: string[], path = "/usr/bin:/bin") =>
  run("sh", [join(ROOT, "install.sh"), ...args], { env: { PATH: path, HOME: home, GPTIMG_DOWNLOAD_URL: base } });

describe("install.sh", () => {
  it("installs this platform's binary to ~/.local/bin after checking it, and says how to add it to PATH", async () => {
    const r = await install(good.url, []);
    expect(r.code, r.stderr).toBe(0);
    const bin = join(home, ".local/bin/gptimg");
    expect(r.stderr).toContain(`installed gptimg ${VERSION} (commit`);
    expect(r.stderr).toContain(`${join(home, ".local/bin")} is not on your PATH`);
    const v = await run(bin, ["--version"], { env: { HOME: home } });
    expect(v.stdout).toContain(`gptimg ${VERSION}`);
  });

  it("--prefix DIR installs there; a DIR on PATH gets no PATH advice", async () => {
    const dir = join(home, "tools/bin");
    const r = await install(good.url, ["--prefix", dir], `${dir}:/usr/bin:/bin`);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, "gptimg"))).toBe(true);
    expect(r.stderr).not.toContain("not on your PATH");
  });

  it("refuses a binary whose checksum does not match SHA256SUMS, installing nothing", async () => {
    const dir = join(home, "tampered/bin");
    const r = await install(bad.url, ["--prefix", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${file}`);
    expect(r.stderr).toContain("nothing was installed");
    expect(existsSync(join(dir, "gptimg"))).toBe(false);
  });

  it("says so when the release has no binary for this platform, or cannot be reached", async () => {
    const empty = tmp("gptimg-empty-release-");
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, "SHA256SUMS"), `${"0".repeat(64)}  gptimg-${VERSION}-plan9-mips\n`);
    const srv = await serveDir(empty);
    try {
      const r = await install(srv.url, ["--prefix", join(home, "none")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`has no binary for ${target}`);
    } finally {
      await srv.close();
      rmSync(empty, { recursive: true, force: true });
    }
    const gone = await install("http://127.0.0.1:9/nothing", ["--prefix", join(home, "none")]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("could not download http://127.0.0.1:9/nothing/SHA256SUMS");
  });

  it("rejects an unknown argument by name", async () => {
    const r = await install(good.url, ["--prefx", "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown argument --prefx");
  });
});
