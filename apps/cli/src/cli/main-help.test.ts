import { describe, expect, it } from "vitest";
import { mainHelp } from "./main-help.ts";
import { COMMANDS } from "./specs.ts";

describe("mainHelp", () => {
  it("lists every command of the specs, in their order, with its summary, and no other", () => {
    const listed = mainHelp("9.9.9")
      .split("\n")
      .filter((l) => /^ {2}[a-z]/.test(l))
      .map((l) => l.trim().split(/\s{2,}/));
    expect(listed).toEqual(COMMANDS.map((c) => [c.name, c.summary]));
    expect(mainHelp("9.9.9")).toMatch(/^gptimg 9\.9\.9: /);
  });
});
