import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommand } from "./command.ts";

const gen = { explicit: false, hasImages: false };

describe("parseCommand", () => {
  it.each([
    ["高质量生图:大海", "generate", "大海"],
    ["高质量生图：大海", "generate", "大海"],
    ["best image: a lighthouse", "generate", "a lighthouse"],
    ["Best Image：a lighthouse", "generate", "a lighthouse"],
    ["/image a cat in a top hat", "generate", "a cat in a top hat"],
    ["/image@GptImgBot a cat", "generate", "a cat"],
    ["/IMAGE: a cat", "generate", "a cat"],
    ["/image best image: a cat", "generate", "a cat"],
  ])("%s → %s %j", (text, kind, prompt) => {
    expect(parseCommand(text, gen)).toEqual({ ok: true, command: { kind, prompt, options: {} } });
  });

  it.each([
    ["编辑图片:把天空变成晚霞", "把天空变成晚霞"],
    ["编辑图片：把天空变成晚霞", "把天空变成晚霞"],
    ["edit image: make it night", "make it night"],
  ])("%s with a picture → edit", (text, prompt) => {
    expect(parseCommand(text, { explicit: false, hasImages: true })).toEqual({
      ok: true,
      command: { kind: "edit", prompt, options: {} },
    });
  });

  it("lifts options from anywhere in the text", () => {
    expect(parseCommand("best image: size=16:9 a lighthouse quality=high at dusk n=2 format=webp", gen)).toEqual({
      ok: true,
      command: {
        kind: "generate",
        prompt: "a lighthouse at dusk",
        options: { size: "1536x864", quality: "high", n: 2, outputFormat: "webp" },
      },
    });
  });

  it("accepts full-width equals signs and jpg as jpeg", () => {
    expect(parseCommand("/image 猫 quality＝low format=JPG", gen)).toMatchObject({
      ok: true,
      command: { prompt: "猫", options: { quality: "low", outputFormat: "jpeg" } },
    });
  });

  it("leaves unknown key=value pairs in the prompt", () => {
    expect(parseCommand("/image the formula E=mc2 on a chalkboard", gen)).toMatchObject({
      ok: true,
      command: { prompt: "the formula E=mc2 on a chalkboard" },
    });
  });

  it("uses the attached images to pick the kind when no trigger says", () => {
    expect(parseCommand("make it night", { explicit: true, hasImages: true })).toMatchObject({
      ok: true,
      command: { kind: "edit" },
    });
    expect(parseCommand("a cat", { explicit: true, hasImages: false })).toMatchObject({
      ok: true,
      command: { kind: "generate" },
    });
  });

  it.each(["hello there", "what is best image: anyway", "/images a cat", ""])("%j is not a command", (text) => {
    expect(parseCommand(text, gen)).toEqual({ ok: false });
  });

  it.each([
    ["best image: a cat size=1920x1080", "size", "1920x1080"],
    ["best image: a cat size=huge", "size", "huge"],
    ["best image: a cat quality=ultra", "quality", "ultra"],
    ["best image: a cat n=0", "n", "0"],
    ["best image: a cat n=2.5", "n", "2.5"],
    ["best image: a cat format=gif", "format", "gif"],
    ["best image: a cat background=striped", "background", "striped"],
    ["best image: a cat compression=101 format=webp", "compression", "101"],
    ["best image: a cat fidelity=high", "fidelity", "high"],
    ["best image: size=16:9", "prompt", ""],
    ["edit image: make it night", "image", undefined],
  ])("%s → an issue naming %s", (text, field, value) => {
    const r = parseCommand(text, gen);
    expect(r.ok).toBe(false);
    const issue = (r as { issues: { field: string; value: unknown; rule: string }[] }).issues.find(
      (i) => i.field === field,
    );
    expect(issue).toBeDefined();
    expect(issue?.value).toBe(value);
    expect(issue?.rule.length).toBeGreaterThan(5);
  });

  it("reports every bad option at once", () => {
    const r = parseCommand("best image: a cat quality=ultra n=11 format=bmp", gen);
    expect((r as { issues: { field: string }[] }).issues.map((i) => i.field).sort()).toEqual([
      "format",
      "n",
      "quality",
    ]);
  });

  it("takes every chat key of core's option table, style included, and checks it with core's model rules", () => {
    const r = parseCommand("best image: a cat style=Natural", { ...gen, model: "dall-e-3" });
    expect(r).toEqual({ ok: true, command: { kind: "generate", prompt: "a cat", options: { style: "natural" } } });
    const bad = parseCommand("best image: a cat style=vivid", gen);
    expect(bad).toMatchObject({ ok: false, issues: [{ field: "style", value: "vivid" }] });
    const editOnly = parseCommand("best image: a cat input_fidelity=low", gen);
    expect(editOnly).toMatchObject({ ok: false, issues: [{ field: "fidelity", rule: "applies to edits only" }] });
  });

  it("rejects compression with png through core's rules", () => {
    const r = parseCommand("best image: a cat compression=50 format=png", gen);
    expect(r.ok).toBe(false);
  });

  it("never throws and keeps the prompt free of recognised options (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.constantFrom("", " size=16:9", " n=2", " quality=low"),
        (prompt, opt) => {
          const r = parseCommand(`best image: ${prompt}${opt}`, gen);
          if (r.ok) expect(r.command.prompt).not.toMatch(/(^|\s)(size|n|quality)=/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
