import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.ts";
import { PROFILES, resolveProvider, resolveProviders } from "./providers.ts";
import type { ProviderConfig } from "./types.ts";

const MINIMAX: ProviderConfig = {
  name: "minimax",
  profile: "custom",
  baseUrl: "https://api.minimax.io/v1",
  paths: { generations: "/content/models/canvas-20/generations", edits: "/content/models/canvas-20/edits" },
  model: "canvas-20",
  fixedModel: true,
};

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
};

describe("resolveProvider", () => {
  it.each([
    ["openai", "https://api.openai.com/v1", "output_format", undefined, "images"],
    ["wellapi", "https://wellapi.ai/v1", "format", "image", "images"],
  ] as const)("fills in the %s profile", (profile, baseUrl, outputFormat, image, protocol) => {
    const p = resolveProvider({ name: "p", profile });
    // undefined image field: `image` for one file, `image[]` for several, as OpenAI's SDKs send them
    expect(p.fields.image).toBe(image);
    expect(p).toMatchObject({
      baseUrl,
      fields: { outputFormat },
      protocol,
      model: "gpt-image-2",
      fixedModel: false,
    });
    expect(p.paths.generations).toBe("/images/generations");
  });

  it("takes the minimax canvas-20 backup as one config entry", () => {
    const p = resolveProvider(MINIMAX);
    expect(p.baseUrl).toBe("https://api.minimax.io/v1");
    expect(p.paths).toMatchObject({
      generations: "/content/models/canvas-20/generations",
      edits: "/content/models/canvas-20/edits",
      models: "/models",
    });
    expect(p).toMatchObject({ model: "canvas-20", fixedModel: true, fields: PROFILES.custom.fields });
  });

  it("gives chat the chat protocol", () => {
    expect(resolveProvider({ name: "c", profile: "chat", baseUrl: "http://127.0.0.1:1/v1" }).protocol).toBe("chat");
  });

  it("strips a trailing slash from baseUrl", () => {
    expect(
      resolveProvider({ name: "x", profile: "openai-compatible", baseUrl: "https://example.com/v1/" }).baseUrl,
    ).toBe("https://example.com/v1");
  });

  it.each([
    [{ profile: "openai-compatible" }, "baseUrl", /required/],
    [{ profile: "chat" }, "baseUrl", /required/],
    [{ profile: "custom", baseUrl: "ftp://example.com" }, "baseUrl", /http or https/],
    [{ profile: "custom", baseUrl: "example.com/v1" }, "baseUrl", /absolute http\(s\) URL/],
    [{ profile: "custom", baseUrl: "https://u:p@example.com/v1" }, "baseUrl", /credentials/],
    [{ profile: "custom", baseUrl: "https://example.com/v1?key=1" }, "baseUrl", /query/],
    [{ profile: "nope" }, "profile", /must be one of openai, wellapi/],
    [{ profile: "openai", paths: { edits: "images/edits" } }, "paths.edits", /starting with \//],
    [{ profile: "openai", fixedModel: true }, "model", /required when fixedModel/],
    [{ profile: "openai", apiKey: "has space" }, "apiKey", /without spaces/],
    [{ profile: "openai", headers: { "x-a": "a\nb" } }, "headers.x-a", /one-line/],
  ])("rejects %j naming %s", (partial, field, rule) => {
    const issues = issuesOf(() => resolveProvider({ name: "p", ...partial } as ProviderConfig));
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.find((i) => i.field === field)?.rule).toMatch(rule);
  });

  it("never echoes a bad key or header value", () => {
    const e = (() => {
      try {
        resolveProvider({
          name: "p",
          profile: "openai",
          apiKey: "sk-canary-do-not-leak 123",
          headers: { "x-key": "sk-canary-do-not-leak\n" },
        });
      } catch (err) {
        return err as ValidationError;
      }
    })();
    expect(e).toBeInstanceOf(ValidationError);
    expect(JSON.stringify(e?.toJSON())).not.toContain("canary");
    expect(e?.message).not.toContain("canary");
  });
});

describe("resolveProviders", () => {
  it("names problems by position", () => {
    const issues = issuesOf(() =>
      resolveProviders([
        { name: "a", profile: "openai" },
        { name: "b", profile: "openai-compatible", baseUrl: "nope" },
      ]),
    );
    expect(issues).toEqual([expect.objectContaining({ field: "providers[1].baseUrl", value: "nope" })]);
  });

  it("rejects duplicate names and an empty list", () => {
    expect(
      issuesOf(() =>
        resolveProviders([
          { name: "a", profile: "openai" },
          { name: "a", profile: "wellapi" },
        ]),
      )[0]?.field,
    ).toBe("providers[1].name");
    expect(issuesOf(() => resolveProviders([]))[0]?.field).toBe("providers");
  });

  it("keeps the order: primary first", () => {
    expect(resolveProviders([{ name: "a", profile: "openai" }, MINIMAX]).map((p) => p.name)).toEqual(["a", "minimax"]);
  });
});

describe("provider URLs with a query", () => {
  it("names the field without repeating the query, where a key may sit", () => {
    let caught: unknown;
    try {
      resolveProviders([
        { name: "g", profile: "openai-compatible", baseUrl: "https://x.io/v1?key=AIzaSECRET123", apiKey: "k" },
      ]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const message = (caught as ValidationError).message;
    expect(message).toContain("https://x.io/v1?…");
    expect(message).not.toContain("AIzaSECRET123");
  });
});
