import { MODEL_RULE_OVERRIDE, ValidationError, validateGenerateOptions } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { errorResult, TOOL_RULE_OVERRIDE } from "./failure.ts";
import { imageOptionSchemas } from "./schema.ts";

describe("a refusal by gptimg's model table, as a tool result", () => {
  it.each(["local", "remote"] as const)(
    "names the skip_model_rules argument (%s), which both tools take",
    (surface) => {
      const refusal = new ValidationError(validateGenerateOptions({ prompt: "x", style: "vivid" }, "gpt-image-2"));
      expect(refusal.message).toContain(MODEL_RULE_OVERRIDE);
      const result = errorResult({ code: "validation", message: refusal.message, possiblyBilled: false }, surface);
      const text = (result.content[0] as { text: string }).text;
      expect(text).toContain(
        `style vivid: is not supported by gpt-image-2 (dall-e-3 takes it) (${TOOL_RULE_OVERRIDE})`,
      );
      expect(text).not.toContain("skipModelRules");
      for (const kind of ["generate", "edit"] as const)
        expect(imageOptionSchemas(kind, surface).skip_model_rules).toMatchObject({ type: "boolean" });
    },
  );
});

describe("the next step of an io failure", () => {
  const next = (message: string): string =>
    ((errorResult({ code: "io", message, possiblyBilled: false }, "local").content[0] as { text: string }).text.match(
      /^next: (.*)$/m,
    )?.[1] ?? "") as string;

  it.each([
    "image[0] /tmp/missing.png: no such file or directory (ENOENT)",
    "images[1] https://example.com/a.png: HTTP 404",
    "mask http://127.0.0.1:9/m.png: HTTP 404",
  ])("an unreadable input (%s) points at the input, not at the output", (message) => {
    expect(next(message)).toMatch(/^check the named image or mask/);
    expect(next(message)).not.toMatch(/overwrite|out path/);
  });

  it("an unwritable output keeps the output's remedies", () => {
    expect(next("cannot write /srv/out/a.png: no space left on the device (ENOSPC)")).toMatch(
      /^choose another out path, set overwrite: true/,
    );
  });
});

describe("the next step of a quota", () => {
  const next = (code: string, surface: "local" | "remote"): string =>
    (
      errorResult({ code, message: "You exceeded your current quota", possiblyBilled: false }, surface).content[0] as {
        text: string;
      }
    ).text;

  it.each(["local", "remote"] as const)("the provider account out of credit (%s) is not a wait", (surface) => {
    const text = next("insufficient_quota", surface);
    expect(text).toMatch(/^next: .*out of quota or credit.*do not retry$/m);
    expect(text).toMatch(surface === "local" ? /plan and billing/ : /ask the admin/);
    expect(text).not.toMatch(/wait a minute/);
  });

  it("a rate limit is still a wait", () => {
    expect(next("rate_limited", "remote")).toMatch(/^next: wait a minute/m);
  });
});
