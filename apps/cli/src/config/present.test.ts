import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUN } from "../../test/helpers.ts";
import { type BunFiles, present } from "./present.ts";

const dir = mkdtempSync(join(tmpdir(), "gptimg-present-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = join(dir, "empty-dir");
const file = join(dir, "config.json");
const blank = join(dir, "blank");
const missing = join(dir, "missing");
const dangling = join(dir, "dangling");
mkdirSync(empty);
writeFileSync(file, "{}");
writeFileSync(blank, "");
symlinkSync(join(dir, "nowhere"), dangling);
const cases: [string, boolean, string][] = [
  ["an empty directory", true, empty],
  ["a file", true, file],
  ["an empty file", true, blank],
  ["nothing", false, missing],
  ["a symlink to nothing", false, dangling],
];

/**
 * A real empty directory's stat size is 0 on btrfs (and others) but 4096 here (ext4; tmpfs says
 * 40 or more). Under Bun: `present` with Bun's own answers, and with every size read as 0 (a
 * file is known by `exists()` before its size is read).
 */
const underBun = `
import { present } from ${JSON.stringify(join(import.meta.dirname, "present.ts"))};
const zero = { file: (p) => { const f = Bun.file(p); return { exists: () => f.exists(), size: 0, get lastModified() { return f.lastModified; } }; } };
const paths = JSON.parse(process.argv[1]);
console.log(JSON.stringify({ real: await Promise.all(paths.map((p) => present(p))), zero: await Promise.all(paths.map((p) => present(p, zero))) }));
`;

describe("present", () => {
  it.each(cases)("under Node: %s → %s", async (_, there, path) => {
    expect(await present(path)).toBe(there);
  });

  it.each(cases)("with a stat that reads 0 for a directory, as btrfs does: %s → %s", async (_, there, path) => {
    // the stat result injected at the seam: the real one, but a directory's size 0
    const zeroSized: BunFiles = {
      file: (p) => {
        const st = statSync(p, { throwIfNoEntry: false });
        return {
          exists: async () => st?.isFile() === true,
          size: st?.isFile() ? st.size : 0,
          lastModified: st ? st.mtimeMs : 2 ** 52 - 1,
        };
      },
    };
    expect(await present(path, zeroSized)).toBe(there);
  });

  it("under Bun (the binary's runtime), with its real answers and with a directory's size read as 0", () => {
    const paths = cases.map(([, , p]) => p);
    // /proc's directories are real ones whose stat size is 0 (Bun reads such a size as Infinity)
    const proc = statSync("/proc/1", { throwIfNoEntry: false });
    if (proc?.isDirectory() && proc.size === 0) paths.push("/proc/1");
    const out = JSON.parse(execFileSync(BUN, ["--eval", underBun, JSON.stringify(paths)], { encoding: "utf8" }));
    const expected = [...cases.map(([, there]) => there), ...(paths.length > cases.length ? [true] : [])];
    expect(out).toEqual({ real: expected, zero: expected });
  });
});
