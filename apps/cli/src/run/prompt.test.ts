import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPrompt } from "./prompt.ts";

const dir = mkdtempSync(join(tmpdir(), "gptimg-prompt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readPrompt", () => {
  it("an empty --prompt-file is named, not called a missing prompt", async () => {
    writeFileSync(join(dir, "empty.txt"), " \n\t\n");
    await expect(readPrompt([], "empty.txt", dir)).rejects.toThrow(
      "--prompt-file empty.txt: the file is empty (or only whitespace); it must hold the prompt",
    );
  });

  it("a prompt file's text is the prompt, trimmed", async () => {
    writeFileSync(join(dir, "p.txt"), "  a red fox\n");
    await expect(readPrompt([], "p.txt", dir)).resolves.toBe("a red fox");
  });

  it("no words at all is a missing prompt", async () => {
    await expect(readPrompt([], undefined, dir)).rejects.toThrow(/^prompt: missing; pass it as arguments/);
  });
});
