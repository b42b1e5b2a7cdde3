import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@gptimg/core";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Io } from "../cli/io.ts";
import { parseCommandArgs } from "../cli/parse.ts";
import { findCommand } from "../cli/specs.ts";
import { loadSources } from "../config/settings.ts";
import { executeImage } from "./execute.ts";

// core as it is, with the validation the CLI calls itself counted (core's request builders call
// their own copy, which this does not count)
vi.mock("@gptimg/core", async (importOriginal) => {
  const real = await importOriginal<typeof import("@gptimg/core")>();
  return { ...real, validateGenerateOptions: vi.fn(real.validateGenerateOptions) };
});

const home = mkdtempSync(join(tmpdir(), "gptimg-execute-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A direct generation's dry-run from these flags: what it printed, and how often the CLI validated. */
async function dryRun(args: string[]): Promise<{ out: string[]; err: string[]; validations: number; error?: unknown }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    interactive: false,
    color: false,
    env: { HOME: home, XDG_CONFIG_HOME: join(home, ".config") },
    cwd: home,
    signal: new AbortController().signal,
    now: () => new Date(),
  };
  const { values } = parseCommandArgs(findCommand("generate")!, ["--dry-run", "--api-key", "k-execute-1", ...args]);
  let error: unknown;
  try {
    await executeImage("generate", values, "a lighthouse", io, await loadSources(values, io));
  } catch (e) {
    error = e;
  }
  return { out, err, validations: vi.mocked(core.validateGenerateOptions).mock.calls.length, error };
}

describe("a direct generation's dry-run", () => {
  beforeEach(() => vi.mocked(core.validateGenerateOptions).mockClear());

  it("validates its options once: core's request builder does, the CLI does not again", async () => {
    const r = await dryRun(["-s", "16:9", "-q", "high"]);
    expect(r.error).toBeUndefined();
    expect(r.validations).toBe(0);
    expect(r.out[0]).toBe("POST https://api.openai.com/v1/images/generations");
    expect(r.out.join("\n")).toContain('"size": "1536x864"');
    expect(r.out.join("\n")).not.toContain("k-execute-1");
  });

  it("says so when a size alias is sent as a smaller size the model makes", async () => {
    const r = await dryRun(["-s", "4k", "--model", "gpt-image-1"]);
    expect(r.error).toBeUndefined();
    expect(r.out.join("\n")).toContain('"size": "1536x1024"');
    expect(r.err).toContain(
      "note: size 4k (3840x2160) is not a size gpt-image-1 makes; its closest, 1536x1024, is sent",
    );
    const same = await dryRun(["-s", "landscape", "--model", "gpt-image-1"]);
    expect(same.err.filter((l) => l.includes("closest"))).toEqual([]);
  });

  it("still names every problem of options that do not validate, and sends nothing", async () => {
    const r = await dryRun(["-n", "11", "-s", "100x100"]);
    expect(r.validations).toBe(1);
    expect(r.out).toEqual([]);
    expect(core.isValidationError(r.error)).toBe(true);
    const fields = (r.error as core.ValidationError).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(["n", "size"]));
  });
});
