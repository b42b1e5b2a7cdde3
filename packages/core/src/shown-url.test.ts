import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shownUrl, shownUrls } from "./shown-url.ts";

const SIG = "canary-signature-do-not-leak";

describe("shownUrl", () => {
  it.each([
    [`https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=${SIG}`, "https://bucket.s3.amazonaws.com/a.png?…"],
    [`https://storage.googleapis.com/b/a.png?X-Goog-Signature=${SIG}#x`, "https://storage.googleapis.com/b/a.png?…#…"],
    [`https://acct.blob.core.windows.net/c/a.png?sig=${SIG}`, "https://acct.blob.core.windows.net/c/a.png?…"],
    [`https://me:${SIG}@images.example.com/a.png`, "https://images.example.com/a.png"],
    [`https://images.example.com/a.png#token=${SIG}`, "https://images.example.com/a.png#…"],
    ["https://images.example.com/a.png", "https://images.example.com/a.png"],
    ["http://evil.example.com", "http://evil.example.com"],
    [
      `https://api.telegram.org/file/bot123456:${SIG}/photos/a.jpg`,
      "https://api.telegram.org/file/bot***/photos/a.jpg",
    ],
    [`not a url?token=${SIG}`, "not a url?…"],
    [`s3://me:${SIG}@bucket/key?x=${SIG}`, "s3://bucket/key?…"],
    ["data:image/png;base64,iVBORw0KGgo=", "data:image/png,… (34 characters)"],
  ])("%s → %s", (url, shown) => {
    expect(shownUrl(url)).toBe(shown);
    expect(shownUrl(url)).not.toContain(SIG);
  });

  it("takes a URL object as well", () => {
    expect(shownUrl(new URL(`https://x.example/a.png?token=${SIG}`))).toBe("https://x.example/a.png?…");
  });

  it("never shows a query, fragment or userinfo of any web URL", () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string(), (url, secret) => {
        const u = new URL(url);
        u.username = "canaryuser";
        u.password = "canarypw";
        u.searchParams.set("X-Amz-Signature", `canary${secret}`);
        const shown = shownUrl(u.href);
        expect(shown).not.toMatch(/canary/);
        expect(shown.startsWith(u.origin)).toBe(true);
      }),
    );
  });
});

describe("shownUrls", () => {
  it("shows every URL in a text without its query, the rest untouched", () => {
    const text = `Fetch API cannot load: https://a.example/x.png?sig=${SIG}. Then "https://b.example/y?token=${SIG}" (https://c.example/z).`;
    expect(shownUrls(text)).toBe(
      'Fetch API cannot load: https://a.example/x.png?…. Then "https://b.example/y?…" (https://c.example/z).',
    );
  });

  it("leaves text without URLs as it is", () => {
    expect(shownUrls("nothing to see ?token=x")).toBe("nothing to see ?token=x");
  });
});
