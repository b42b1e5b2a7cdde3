import {
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
import { CliError } from "../cli/errors.ts";
import { ImageSaver, type UnsavedImage } from "../run/saver.ts";
import { claimOutput } from "./claim.ts";
import { fileName, planOutput } from "./naming.ts";
import { OutputExistsError } from "./write.ts";

const now = new Date(2026, 10, 22, 3, 15, 0);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** A fresh temp directory, removed after the file's tests. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "gptimg-claim-"));
  dirs.push(dir);
  return dir;
}
const PNG_1X1 = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "base64",
  ),
);

describe("claimOutput (before the request is sent)", () => {
  it("an explicit -o FILE that exists fails at once", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "keep.png"), "old");
    const plan = planOutput({ out: "keep.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 1 });
    await expect(claimOutput(plan, "png", false)).rejects.toBeInstanceOf(OutputExistsError);
    await expect(claimOutput(plan, "png", true)).resolves.toBe(plan);
  });

  it.each([1, 2])("an automatic name taken already moves on to _2 (n=%i)", async (n) => {
    const dir = tempDir();
    const plan = planOutput({ out: undefined, outIsDir: false, cwd: dir, prompt: "a cat", now, n });
    writeFileSync(join(dir, fileName(plan, 0, "png")), "old");
    const claimed = await claimOutput(plan, "png", false);
    expect(fileName(claimed, 0, "png")).toBe(
      n === 1 ? "gptimg-20261122-031500-a-cat_2.png" : "gptimg-20261122-031500-a-cat_2-1.png",
    );
  });
});

describe("ImageSaver with an automatic name", () => {
  it("a name taken after the claim moves on instead of failing", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: undefined, outIsDir: false, cwd: dir, prompt: "a cat", now, n: 1 });
    const first = (await new ImageSaver(plan, false).save(PNG_1X1, 0))!;
    const second = (await new ImageSaver(plan, false).save(PNG_1X1, 0))!;
    expect(first.path).toBe(join(dir, "gptimg-20261122-031500-a-cat.png"));
    expect(second.path).toBe(join(dir, "gptimg-20261122-031500-a-cat_2.png"));
    expect(readFileSync(second.path)).toEqual(Buffer.from(PNG_1X1));
  });

  it("an explicit name taken between the claim and the save keeps the made image under _2 and says so", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: "x.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 1 });
    // the claim passes (the name is free), then another run saves there before this one's image arrives
    const saver = new ImageSaver(await claimOutput(plan, "png", false), false);
    writeFileSync(join(dir, "x.png"), "the other run's image");
    const saved = (await saver.save(PNG_1X1, 0))!;
    expect(saved.path).toBe(join(dir, "x_2.png"));
    expect(readFileSync(saved.path)).toEqual(Buffer.from(PNG_1X1));
    expect(readFileSync(join(dir, "x.png"), "utf8")).toBe("the other run's image");
    expect(saver.notes).toEqual([
      `note: image 1 saved as ${join(dir, "x_2.png")}: ${join(dir, "x.png")} exists now (another run saved there, or the image came in another format than asked); nothing was overwritten`,
    ]);
  });

  it("with n=2, an explicit name taken mid-run moves only the images still to come", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: "x.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 2 });
    const saver = new ImageSaver(await claimOutput(plan, "png", false), false);
    expect((await saver.save(PNG_1X1, 0))?.path).toBe(join(dir, "x-1.png"));
    writeFileSync(join(dir, "x-2.png"), "old");
    expect((await saver.save(PNG_1X1, 1))?.path).toBe(join(dir, "x_2-2.png"));
    expect(saver.notes).toHaveLength(1);
  });

  it("with force, a name taken after the claim is replaced, as asked", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: "x.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 1 });
    const saver = new ImageSaver(await claimOutput(plan, "png", true), true);
    writeFileSync(join(dir, "x.png"), "old");
    expect((await saver.save(PNG_1X1, 0))?.path).toBe(join(dir, "x.png"));
    expect(readFileSync(join(dir, "x.png"))).toEqual(Buffer.from(PNG_1X1));
    expect(saver.notes).toEqual([]);
  });

  it("a name whose every counter is taken still fails as made but not saved", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: "x.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 1 });
    writeFileSync(join(dir, "x.png"), "old");
    for (let k = 2; k <= 1000; k++) writeFileSync(join(dir, `x_${k}.png`), "old");
    await expect(new ImageSaver(plan, false).save(PNG_1X1, 0)).rejects.toMatchObject({
      code: "io",
      possiblyBilled: true,
      exitCode: 6,
      message: expect.stringMatching(/^image 1 was made but not saved: .*x_1000\.png exists; pass --force/),
      cause: expect.any(OutputExistsError),
    });
  });
});

/** An output directory `top` with `cats` in it (where `out` points), and a directory outside it. */
function layout(out = "cats/a.png"): {
  top: string;
  cats: string;
  outside: string;
  saver: (keep?: (i: UnsavedImage) => void) => ImageSaver;
} {
  const base = realpathSync(tempDir());
  const top = join(base, "out");
  const cats = join(top, "cats");
  const outside = join(base, "outside");
  mkdirSync(cats, { recursive: true });
  mkdirSync(outside);
  const plan = planOutput({
    out: join(top, out),
    outIsDir: false,
    cwd: top,
    prompt: "p",
    now: new Date(),
    n: 1,
    within: top,
  });
  return { top, cats, outside, saver: (keep) => new ImageSaver(plan, false, keep ? { keep } : {}) };
}

/** `cats` swapped for a symlink to `outside`, as between the check of out and the write. */
function swap(cats: string, outside: string): void {
  renameSync(cats, `${cats}-was`);
  symlinkSync(outside, cats);
}

describe("ImageSaver: a directory refused at write time under an output directory", () => {
  it("saves the image at the top of the output directory instead, and a note says where and why", async () => {
    const { top, cats, outside, saver } = layout();
    swap(cats, outside);
    const s = saver();
    const saved = await s.save(PNG_1X1, 0);
    expect(saved?.path).toBe(join(top, "a.png"));
    expect(readFileSync(join(top, "a.png"))).toEqual(Buffer.from(PNG_1X1));
    expect(readdirSync(outside)).toEqual([]);
    expect(s.notes).toEqual([
      `note: image 1 saved as ${join(top, "a.png")}, at the top of the output directory instead: output directory ${cats} now leads to ${outside}, outside the output directory ${top} (a symbolic link put there since out was checked); nothing was written there`,
    ]);
  });

  it("at the top, a name taken already moves on to a free one: nothing there is replaced", async () => {
    const { top, cats, outside, saver } = layout();
    writeFileSync(join(top, "a.png"), "someone else's");
    swap(cats, outside);
    const s = saver();
    expect((await s.save(PNG_1X1, 0))?.path).toBe(join(top, "a_2.png"));
    expect(readFileSync(join(top, "a.png"), "utf8")).toBe("someone else's");
    expect(s.notes).toHaveLength(1);
  });

  it("when the top cannot take it either, keep gets the image with both reasons; without keep the run fails, possibly billed", async () => {
    const { top, cats, saver } = layout();
    // the whole output directory gone while the image was made
    renameSync(top, `${top}-gone`);
    const kept: UnsavedImage[] = [];
    expect(await saver((i) => kept.push(i)).save(PNG_1X1, 0)).toBeUndefined();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ index: 0, format: "png", width: 1, height: 1 });
    expect(kept[0]?.bytes).toEqual(PNG_1X1);
    const why = `output directory ${cats}: no such file or directory (ENOENT); nor at the top of the output directory: output directory ${top}: no such file or directory (ENOENT)`;
    expect(kept[0]?.reason).toBe(why);
    const failed = saver().save(PNG_1X1, 0);
    await expect(failed).rejects.toThrow(`image 1 was made but not saved: ${why}`);
    await expect(failed).rejects.toSatisfy((e) => e instanceof CliError && e.possiblyBilled === true);
  });

  it("an image whose out is at the top already is not tried there twice", async () => {
    const { top, saver } = layout("a.png");
    renameSync(top, `${top}-gone`);
    await expect(saver().save(PNG_1X1, 0)).rejects.toThrow(
      `image 1 was made but not saved: output directory ${top}: no such file or directory (ENOENT)`,
    );
  });
});
