import { describe, expect, it } from "vitest";
import { decodeDataUrl } from "./data-url.ts";
import { BadResponseError } from "./errors/index.ts";

describe("decodeDataUrl", () => {
  it("decodes a base64 image data URL", () => {
    expect(decodeDataUrl("data:image/png;base64,iVBORw0KGgo=", "image 0")).toEqual(
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });

  it("decodes a percent-encoded one, other characters as their UTF-8", () => {
    expect(decodeDataUrl("data:image/svg+xml,%3Csvg%2F%3Eé", "image 1")).toEqual(
      new Uint8Array([...new TextEncoder().encode("<svg/>é")]),
    );
  });

  it("answers undefined for data that is not an image", () => {
    expect(decodeDataUrl("data:text/plain;base64,aGk=", "image 2")).toBeUndefined();
  });

  it("refuses a malformed one, naming where it was", () => {
    expect(() => decodeDataUrl("data:image/png;base64", "image 3")).toThrow(
      new BadResponseError("image 3: a data URL without a comma"),
    );
    expect(() => decodeDataUrl("data:image/svg+xml,%zz", "image 4")).toThrow(
      new BadResponseError("image 4: a data URL with invalid percent-encoding"),
    );
    expect(() => decodeDataUrl("data:image/png;base64,@@@@", "image 5")).toThrow(BadResponseError);
  });
});
