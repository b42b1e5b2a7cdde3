import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDataUrl } from "./data-url.ts";
import { BadResponseError } from "./errors/index.ts";

/** The decoder as it was first written: an array of numbers, then bytes. The reference for the property test. */
function referenceDecode(payload: string): Uint8Array | undefined {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i] as string;
    if (c === "%") {
      const hex = payload.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c.charCodeAt(0) < 0x80) out.push(c.charCodeAt(0));
    else out.push(...enc.encode(c));
  }
  return Uint8Array.from(out);
}

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

  it("decodes percent-encoding exactly as the reference does, valid or not", () => {
    // escapes valid and broken (`%`, `%4`, `%zz`, `%%41` at any place, the end included), ASCII,
    // 2- and 3-byte UTF-8, and surrogate halves alone or paired
    const unit = fc.oneof(
      fc.constantFrom(
        "%",
        "%4",
        "%zz",
        "%g1",
        "%1G",
        "%%41",
        "%e9",
        "%FF",
        "%00",
        "a",
        ",",
        " ",
        "é",
        "€",
        "\u{1F600}",
      ),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([b, upper]) => {
        const hex = b.toString(16).padStart(2, "0");
        return `%${upper ? hex.toUpperCase() : hex}`;
      }),
    );
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 60 }).map((parts) => parts.join("")),
        (payload) => {
          const want = referenceDecode(payload);
          const url = `data:image/svg+xml,${payload}`;
          if (want === undefined) {
            expect(() => decodeDataUrl(url, "image 6")).toThrow(
              new BadResponseError("image 6: a data URL with invalid percent-encoding"),
            );
          } else expect(decodeDataUrl(url, "image 6")).toEqual(want);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("decodes a 24 MB percent-encoded image within a 64 MB heap (no array of numbers on the way)", () => {
    // a number array of 24M entries alone is ~200 MB; the bytes themselves live outside the heap
    const script = `
      import { decodeDataUrl } from ${JSON.stringify(fileURLToPath(new URL("./data-url.ts", import.meta.url)))};
      const n = 24 * 1024 * 1024;
      const bytes = decodeDataUrl("data:image/svg+xml," + "%41".repeat(1024) + "b".repeat(n), "image 7");
      process.stdout.write(JSON.stringify([bytes.length, bytes[0], bytes[1024], bytes[n + 1023]]));
    `;
    const run = spawnSync(
      process.execPath,
      ["--max-old-space-size=64", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(JSON.stringify([24 * 1024 * 1024 + 1024, 0x41, 0x62, 0x62]));
  });
});
