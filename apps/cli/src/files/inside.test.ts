import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realDirInside, resolveInside } from "./inside.ts";

describe("resolveInside", () => {
  let root: string;
  let out: string;
  let elsewhere: string;
  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "gptimg-inside-")));
    out = join(root, "out");
    elsewhere = join(root, "elsewhere");
    mkdirSync(join(out, "cats"), { recursive: true });
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, "away"));
    symlinkSync(join(out, "cats"), join(out, "kittens"));
    symlinkSync(join(root, "missing"), join(out, "dangling"));
    symlinkSync(join(elsewhere, "x.png"), join(out, "leaf.png"));
    symlinkSync(out, join(root, "out-link"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ["a.png", "a.png"],
    ["cats/a.png", "cats/a.png"],
    ["new/deeper/a.png", "new/deeper/a.png"],
    ["cats/../a.png", "a.png"],
    ["..a.png", "..a.png"],
    ["kittens/a.png", "kittens/a.png"],
    [".", ""],
  ])("keeps %j inside", (given, rel) => {
    expect(resolveInside(out, given)).toBe(join(out, rel));
  });

  it("takes an absolute path inside the directory", () => {
    expect(resolveInside(out, join(out, "cats", "a.png"))).toBe(join(out, "cats", "a.png"));
  });

  it.each([
    ["../a.png"],
    ["../../../tmp/evil.png"],
    ["cats/../../a.png"],
    ["/etc/gptimg.png"],
    ["away/a.png"],
    ["away/new/a.png"],
    ["dangling/a.png"],
    ["leaf.png"],
  ])("refuses %j", (given) => {
    expect(resolveInside(out, given)).toBeUndefined();
  });

  it("judges by where the directory really is when it is reached through a symlink", () => {
    const viaLink = join(root, "out-link");
    expect(resolveInside(viaLink, "cats/a.png")).toBe(join(viaLink, "cats", "a.png"));
    expect(resolveInside(viaLink, "away/a.png")).toBeUndefined();
  });

  // the check before sending and the check at each write are one test: a directory inside as
  // written that is there is accepted by both or refused by both
  it.each([["."], ["cats"], ["kittens"], ["away"], ["dangling"], ["kittens/../away"]])(
    "the write-time check of directory %j agrees with the check of out",
    (rel) => {
      const dir = join(out, rel);
      const written = (() => {
        try {
          return realDirInside(dir, out);
        } catch {
          return undefined;
        }
      })();
      expect(written !== undefined).toBe(resolveInside(out, rel) !== undefined);
      if (written !== undefined) expect(written).toBe(realpathSync(dir));
    },
  );

  it("names where a directory leads at write time, and why one that leads nowhere is refused", () => {
    expect(() => realDirInside(join(out, "away"), out)).toThrow(
      `output directory ${join(out, "away")} now leads to ${elsewhere}, outside the output directory ${out}`,
    );
    expect(() => realDirInside(join(out, "dangling"), out)).toThrow(
      `output directory ${join(out, "dangling")}: no such file or directory (ENOENT)`,
    );
    expect(() => realDirInside(join(out, "new"), out)).toThrow("no such file or directory (ENOENT)");
  });
});
