import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveInside } from "./inside.ts";
import { ensureWritableDir, writeAtomic } from "./write.ts";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "gptimg-write-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ensureWritableDir", () => {
  it("a file where the output directory must be is called a file, not an unwritable directory", async () => {
    writeFileSync(join(dir, "afile"), "x");
    await expect(ensureWritableDir(join(dir, "afile"))).rejects.toThrow(
      `output directory ${join(dir, "afile")}: it is a file, not a directory; choose another -o`,
    );
    await expect(ensureWritableDir(join(dir, "afile", "sub", "x"))).rejects.toThrow(
      `output directory ${join(dir, "afile", "sub", "x")}: ${join(dir, "afile")} is a file, not a directory; choose another -o`,
    );
  });

  it("creates a missing directory and leaves no probe behind", async () => {
    mkdirSync(join(dir, "made"));
    await ensureWritableDir(join(dir, "made", "deeper"));
    expect(readdirSync(join(dir, "made", "deeper"))).toEqual([]);
  });
});

describe("writeAtomic within an output directory", () => {
  const png = new Uint8Array([1, 2, 3]);
  /** an output directory with a real subdirectory `cats`, and a directory outside it */
  function layout(): { out: string; cats: string; outside: string } {
    const root = mkdtempSync(join(dir, "within-"));
    const out = join(root, "out");
    const outside = join(root, "outside");
    mkdirSync(join(out, "cats"), { recursive: true });
    mkdirSync(outside);
    return { out, cats: join(out, "cats"), outside };
  }

  it("writes into a directory that is still inside", async () => {
    const { out, cats } = layout();
    expect(await writeAtomic(cats, "a.png", png, { force: false, within: out })).toBe(join(cats, "a.png"));
    expect(readFileSync(join(cats, "a.png"))).toEqual(Buffer.from(png));
  });

  it("refuses a directory swapped for a symlink to outside after out was checked, and writes nothing there", async () => {
    const { out, cats, outside } = layout();
    expect(resolveInside(out, "cats/a.png")).toBe(join(cats, "a.png"));
    // the swap between the check and the write
    renameSync(cats, join(out, "cats-was"));
    symlinkSync(outside, cats);
    await expect(writeAtomic(cats, "a.png", png, { force: false, within: out })).rejects.toThrow(
      `output directory ${cats} now leads to ${realpathSync(outside)}, outside the output directory ${out}`,
    );
    await expect(writeAtomic(cats, "a.png", png, { force: true, within: out })).rejects.toThrow("now leads to");
    expect(readdirSync(outside)).toEqual([]);
  });

  it.each([false, true])("never follows a symlink planted at the file's name (force %s)", async (force) => {
    const { out, cats, outside } = layout();
    const victim = join(outside, "victim.png");
    writeFileSync(victim, "keep");
    symlinkSync(victim, join(cats, "a.png"));
    const written = writeAtomic(cats, "a.png", png, { force, within: out });
    if (force) {
      await written;
      expect(lstatSync(join(cats, "a.png")).isSymbolicLink()).toBe(false);
    } else await expect(written).rejects.toThrow(`${join(realpathSync(cats), "a.png")} exists`);
    expect(readFileSync(victim, "utf8")).toBe("keep");
  });
});
