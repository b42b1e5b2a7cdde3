import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ImageSaver } from "../run/saver.ts";
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
    const first = await new ImageSaver(plan, false).save(PNG_1X1, 0);
    const second = await new ImageSaver(plan, false).save(PNG_1X1, 0);
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
    const saved = await saver.save(PNG_1X1, 0);
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
    expect((await saver.save(PNG_1X1, 0)).path).toBe(join(dir, "x-1.png"));
    writeFileSync(join(dir, "x-2.png"), "old");
    expect((await saver.save(PNG_1X1, 1)).path).toBe(join(dir, "x_2-2.png"));
    expect(saver.notes).toHaveLength(1);
  });

  it("with force, a name taken after the claim is replaced, as asked", async () => {
    const dir = tempDir();
    const plan = planOutput({ out: "x.png", outIsDir: false, cwd: dir, prompt: "p", now, n: 1 });
    const saver = new ImageSaver(await claimOutput(plan, "png", true), true);
    writeFileSync(join(dir, "x.png"), "old");
    expect((await saver.save(PNG_1X1, 0)).path).toBe(join(dir, "x.png"));
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
