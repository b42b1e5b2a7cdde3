import { AbortedError, ContentPolicyError, RateLimitError, ValidationError } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { CliError, describeFailure } from "./errors.ts";
import { EXIT } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { reportFailure } from "./report.ts";

function fakeIo(): Io & { errLines: string[]; outLines: string[] } {
  const errLines: string[] = [];
  const outLines: string[] = [];
  return {
    errLines,
    outLines,
    out: (l) => outLines.push(l),
    err: (l) => errLines.push(l),
    interactive: false,
    color: false,
    env: {},
    cwd: "/",
    signal: new AbortController().signal,
    now: () => new Date(0),
  };
}

describe("describeFailure", () => {
  it.each([
    ["output_format", "gif", "--format gif: must be one of png"],
    ["output_compression", 80, "--compression 80: applies"],
    ["input_fidelity", "max", "--input-fidelity max: must"],
    ["partial_images", 5, "--partial-images 5: must"],
    ["extra_body.prompt", "x", "--extra prompt x: must"],
    ["mask", "m.png", "--mask m.png: must be a PNG"],
    ["style", "vivid", "--style vivid: is not supported"],
    ["response_format", "url", "--response-format url: is not supported"],
  ])("our own validation names the flag, not the wire field (%s)", (field, value, start) => {
    const e = new ValidationError([{ field, value, rule: start.split(": ")[1]! }]);
    const { info, exitCode } = describeFailure(e);
    expect(info.message.startsWith(start)).toBe(true);
    expect(exitCode).toBe(EXIT.usage);
  });

  it("a nearest legal size is named once, after the last problem of that size", () => {
    const e = new ValidationError([
      { field: "size", value: "4000x100", rule: "both sides must be multiples of 16", suggestion: "1408x480" },
      { field: "size", value: "4000x100", rule: "the long side must be at most 3840", suggestion: "1408x480" },
    ]);
    expect(describeFailure(e).info.message).toBe(
      "--size 4000x100: both sides must be multiples of 16\n--size 4000x100: the long side must be at most 3840; nearest legal: 1408x480",
    );
  });

  it("a provider's 400 keeps the provider's own words", () => {
    const e = new ValidationError([{ field: "output_format", value: "gif", rule: "bad" }]);
    Object.defineProperty(e, "status", { value: 400 });
    expect(describeFailure(e).info.message).toBe("output_format gif: bad");
  });

  it.each([
    ["insufficient_quota", EXIT.refused],
    ["rate_limited", EXIT.failure],
  ] as const)("a 429 %s exits %i", (code, exit) => {
    const e = new RateLimitError(code, "You exceeded your current quota", { status: 429, provider: "default" });
    expect(describeFailure(e).exitCode).toBe(exit);
  });
});

describe("reportFailure", () => {
  it("a provider's message is followed by status, provider and request id", async () => {
    const io = fakeIo();
    const e = new ContentPolicyError("content_policy", "Your request was rejected.", {
      status: 400,
      provider: "backup",
      requestId: "req_123",
    });
    expect(await reportFailure(io, "generate", e, false)).toBe(EXIT.refused);
    expect(io.errLines[0]).toBe("error: Your request was rejected. (HTTP 400 from backup, request req_123)");
    expect(io.outLines).toEqual([]);
  });

  it("an aborted request reads as interrupted and exits 130", async () => {
    const io = fakeIo();
    expect(await reportFailure(io, "generate", new AbortedError("request aborted by the caller"), false)).toBe(
      EXIT.interrupted,
    );
    expect(io.errLines).toEqual(["error: interrupted"]);
  });

  it("a failure without an HTTP answer adds nothing", async () => {
    const io = fakeIo();
    await reportFailure(io, "generate", new ValidationError([{ field: "size", value: "abc", rule: "bad" }]), false);
    expect(io.errLines).toEqual(["error: --size abc: bad"]);
  });
});

describe("describeFailure drops the runtime's advice", () => {
  it("from any error's message, a CliError's included", () => {
    const hint = " For more information, pass `verbose: true` in the second argument to fetch()";
    for (const e of [
      new CliError("bad_response", `reading the answer: socket closed.${hint}`, { possiblyBilled: true }),
      new Error(`socket closed.${hint}`),
    ]) {
      expect(describeFailure(e).info.message).not.toMatch(/verbose/);
    }
  });
});
