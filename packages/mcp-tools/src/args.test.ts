import { ValidationError } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { checkArgs } from "./args.ts";
import { editInputSchema, generateInputSchema, getJobInputSchema } from "./schema.ts";

const issues = (schema: Parameters<typeof checkArgs>[0], args: unknown) => {
  try {
    checkArgs(schema, args);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => `${i.field}: ${i.rule}`);
    throw e;
  }
  return [];
};

describe("checkArgs", () => {
  it("passes good arguments and drops nulls", () => {
    expect(checkArgs(generateInputSchema("local"), { prompt: "a cat", n: 2, quality: "high", size: null })).toEqual({
      prompt: "a cat",
      n: 2,
      quality: "high",
    });
  });

  it.each([
    [{}, ["prompt: is required"]],
    [{ prompt: "  " }, ["prompt: must not be empty"]],
    [{ prompt: "x", n: 0 }, ["n: must be an integer from 1 to 10"]],
    [{ prompt: "x", n: 2.5 }, ["n: must be an integer"]],
    [{ prompt: "x", quality: "ultra" }, ["quality: must be one of low, medium, high, auto, standard, hd"]],
    [{ prompt: "x", stream: "yes" }, ["stream: must be a boolean"]],
    [{ prompt: "x", wait_seconds: 5 }, [expect.stringMatching(/^wait_seconds: is not an option of this tool/)]],
    [{ prompt: "x", extra_body: { __proto__: 1, ok: 2 } }, []],
  ])("generate (local) %j", (args, expected) => {
    expect(issues(generateInputSchema("local"), args)).toEqual(expected);
  });

  it("reports every problem at once, with item indexes", () => {
    expect(issues(editInputSchema("remote"), { images: ["", 3], out: "x" })).toEqual([
      "prompt: is required",
      "images[0]: must not be empty",
      "images[1]: must be a string",
      expect.stringMatching(/^out: is not an option of this tool/),
    ]);
  });

  it("refuses forbidden keys in free-form objects", () => {
    const args = JSON.parse('{"prompt":"x","extra_body":{"__proto__":{"polluted":1}}}');
    expect(issues(generateInputSchema("local"), args)).toEqual(["extra_body.__proto__: is not an allowed key"]);
  });

  it("refuses arguments that are not an object", () => {
    expect(issues(getJobInputSchema("remote"), [1])).toEqual(["arguments: must be an object"]);
  });
});
