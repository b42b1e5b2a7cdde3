import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureWritableDir } from "./write.ts";

const dir = mkdtempSync(join(tmpdir(), "gptimg-write-"));
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
