import { describe, expect, it } from "vitest";
import { errorCodes, networkErrorDetail, platformMessage, withoutPlatformHint } from "./transport.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("networkErrorDetail", () => {
  it.each([
    [
      "a code on the error",
      withCode("Unable to connect. Is the computer able to access the url?", "ECONNREFUSED"),
      "ECONNREFUSED",
    ],
    [
      "a code on the cause",
      new TypeError("fetch failed", { cause: withCode("read ECONNRESET", "ECONNRESET") }),
      "ECONNRESET",
    ],
    [
      "Bun's advice removed",
      new Error(
        "The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()",
      ),
      "The socket connection was closed unexpectedly.",
    ],
    ["a plain message kept", new Error("certificate unknown"), "certificate unknown"],
    [
      "a quoted URL without its signature",
      new TypeError("Fetch API cannot load: https://b.s3.amazonaws.com/a.png?X-Amz-Signature=canary"),
      "Fetch API cannot load: https://b.s3.amazonaws.com/a.png?…",
    ],
    ["a non-error value", "boom", "boom"],
    ["an empty message", new Error(""), "network error"],
  ])("%s", (_name, e, want) => {
    expect(networkErrorDetail(e)).toBe(want);
  });

  it("withoutPlatformHint strips Bun's advice from any message, e.g. a wrapped body-read failure", () => {
    expect(
      withoutPlatformHint(
        "reading the answer: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()",
      ),
    ).toBe("reading the answer: The socket connection was closed unexpectedly.");
  });

  it("keeps a message that only mentions verbose elsewhere", () => {
    expect(platformMessage(new Error("verbose: true was set"))).toBe("verbose: true was set");
  });
});

describe("errorCodes", () => {
  it("walks causes and AggregateError members, bounded", () => {
    const agg = new AggregateError([withCode("a", "EHOSTUNREACH"), withCode("b", "ETIMEDOUT")], "all failed");
    expect(errorCodes(new Error("x", { cause: agg }))).toEqual(["EHOSTUNREACH", "ETIMEDOUT"]);
    const loop: { code: string; cause?: unknown } = { code: "ELOOP" };
    loop.cause = loop;
    expect(errorCodes(loop).length).toBe(16);
  });
});
