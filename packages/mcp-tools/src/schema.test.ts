import { describe, expect, it } from "vitest";
import { imageOptionSchemas } from "./schema.ts";

describe("tool input schemas", () => {
  it("say per model which values an option takes, and where a value is accepted but not sent", () => {
    const fidelity = imageOptionSchemas("edit", "local").input_fidelity?.description as string;
    expect(fidelity).toContain("gpt-image-1: high, low");
    expect(fidelity).toContain("gpt-image-1-mini: not sent");
    expect(fidelity).toContain("gpt-image-2: not sent");
    expect(fidelity).toContain("dall-e-2: not supported");
    const background = imageOptionSchemas("generate", "remote").background?.description as string;
    expect(background).toContain("gpt-image-2: auto, opaque, transparent");
  });
});
