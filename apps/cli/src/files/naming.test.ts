import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fileName, isInside, planOutput, sanitizeComponent, slug, timestamp } from "./naming.ts";

const now = new Date(2026, 10, 22, 3, 15, 0);

describe("output names", () => {
  it.each([
    ["a lighthouse at dusk", "a-lighthouse-at-dusk"],
    ["  A Lighthouse, at DUSK!!  ", "a-lighthouse-at-dusk"],
    ["../../etc/passwd", "etc-passwd"],
    ["大海", "大海"],
    ["", "image"],
    ["!!!", "image"],
    ["x".repeat(100), "x".repeat(48)],
  ])("slug(%j) = %j", (prompt, expected) => {
    expect(slug(prompt)).toBe(expected);
  });

  it("timestamp is local YYYYMMDD-HHMMSS", () => {
    expect(timestamp(now)).toBe("20261122-031500");
  });

  it.each<[string | undefined, boolean, number, string[]]>([
    [undefined, false, 1, ["/w/gptimg-20261122-031500-a-cat.png"]],
    [undefined, false, 2, ["/w/gptimg-20261122-031500-a-cat-1.png", "/w/gptimg-20261122-031500-a-cat-2.png"]],
    ["out/", false, 1, ["/w/out/gptimg-20261122-031500-a-cat.png"]],
    ["out", true, 1, ["/w/out/gptimg-20261122-031500-a-cat.png"]],
    ["pic.png", false, 2, ["/w/pic-1.png", "/w/pic-2.png"]],
    ["pic.jpeg", false, 1, ["/w/pic.png"]],
    ["/abs/x", false, 1, ["/abs/x.png"]],
    ["sub/..hidden?.png", false, 1, ["/w/sub/hidden-.png"]],
  ])("planOutput(-o %j, dir=%j, n=%i)", (out, outIsDir, n, expected) => {
    const plan = planOutput({ out, outIsDir, cwd: "/w", prompt: "a cat", now, n });
    expect(Array.from({ length: n }, (_, i) => join(plan.dir, fileName(plan, i, "png")))).toEqual(expected);
  });

  it("keeps a typed .jpeg for jpeg bytes and replaces it for others", () => {
    const plan = planOutput({ out: "x.jpeg", outIsDir: false, cwd: "/w", prompt: "p", now, n: 1 });
    expect(fileName(plan, 0, "jpg")).toBe("x.jpeg");
    expect(fileName(plan, 0, "webp")).toBe("x.webp");
  });

  it("a sanitized component is never empty, a separator, hidden or a parent reference", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const c = sanitizeComponent(s);
        expect(c.length).toBeGreaterThan(0);
        expect(c).not.toMatch(/[/\\\0<>:"|?*]/);
        expect(c.startsWith(".")).toBe(false);
        expect(isInside("/out", join("/out", c))).toBe(true);
      }),
    );
  });

  it("any slug stays inside the output directory", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (prompt) => {
        const plan = planOutput({ out: "/out/", outIsDir: true, cwd: "/w", prompt, now, n: 3 });
        for (let i = 0; i < 3; i++) expect(isInside("/out", join(plan.dir, fileName(plan, i, "png")))).toBe(true);
      }),
    );
  });

  it.each([
    ["/a", "/a/b", true],
    ["/a", "/a", true],
    ["/a", "/a/../b", false],
    ["/a", "/ab", false],
    ["/a", "/a/b/../../c", false],
    ["/a", "/a/..b.png", true],
    ["/a", "/", false],
  ])("isInside(%j, %j) = %j", (dir, child, inside) => {
    expect(isInside(dir, child)).toBe(inside);
  });
});
