import { describe, expect, it } from "vitest";
import { extensionNotes, formatFromOut, mismatchWarnings } from "./asked.ts";

describe("formatFromOut", () => {
  it.each<[string | undefined, boolean, string | undefined, string | undefined, string | undefined]>([
    ["cover.jpg", false, undefined, "gpt-image-2", "jpeg"],
    ["cover.JPEG", false, undefined, "gpt-image-2", "jpeg"],
    ["cover.webp", false, undefined, undefined, "webp"],
    ["cover.png", false, undefined, "gpt-image-2", "png"],
    ["cover.jpg", false, "webp", "gpt-image-2", undefined],
    ["cover.jpg", true, undefined, "gpt-image-2", undefined],
    ["out.webp/", false, undefined, "gpt-image-2", undefined],
    ["cover", false, undefined, "gpt-image-2", undefined],
    ["cover.jpg", false, undefined, "dall-e-3", undefined],
    [undefined, false, undefined, "gpt-image-2", undefined],
  ])("-o %j (dir %s, --format %j, model %j) asks for %j", (out, isDir, format, model, expected) => {
    expect(formatFromOut(out, isDir, format, model)).toBe(expected);
  });
});

describe("mismatchWarnings", () => {
  const img = { path: "/w/a.png", bytes: 1, format: "png", width: 1024, height: 1024 };
  it("names what was asked for, what came back and the file", () => {
    expect(mismatchWarnings({ size: "1536x1024", format: "webp" }, [img])).toEqual([
      "warning: the provider returned a size other than the one requested: asked for 1536x1024, got 1024x1024 (/w/a.png)",
      "warning: asked for webp, the provider returned png; saved as /w/a.png",
    ]);
  });
  it.each([{}, { size: "auto" }, { size: null }, { size: "1024x1024", format: "png" }])(
    "nothing when it matches (%j)",
    (asked) => {
      expect(mismatchWarnings(asked, [img])).toEqual([]);
    },
  );
});

describe("extensionNotes", () => {
  const png = { path: "/w/pic.png", bytes: 1, format: "png", width: 1024, height: 1024 };
  it("says where an image went when -o typed another extension", () => {
    expect(extensionNotes(".gif", {}, [png])).toEqual([
      "note: saved as /w/pic.png: the image is png, not the .gif that -o names",
    ]);
    expect(extensionNotes(".jpg", { format: "png" }, [png])).toEqual([
      "note: saved as /w/pic.png: the image is png, not the .jpg that -o names",
    ]);
  });
  it("nothing when the name kept its extension, or the format mismatch has its warning", () => {
    expect(extensionNotes(".png", {}, [png])).toEqual([]);
    expect(extensionNotes(undefined, {}, [png])).toEqual([]);
    expect(extensionNotes(".jpeg", {}, [{ ...png, path: "/w/pic.jpg", format: "jpeg" }])).toEqual([]);
    expect(extensionNotes(".webp", { format: "webp" }, [png])).toEqual([]);
  });
});
