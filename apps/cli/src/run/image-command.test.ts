import { describe, expect, it } from "vitest";
import { refuseEmpty } from "./image-command.ts";

describe("an empty flag value", () => {
  it.each(["api-key", "model", "base-url", "out"])("--%s '' is refused, not read as absent", (name) => {
    expect(() => refuseEmpty({ [name]: "" })).toThrow(
      `--${name} "": must not be empty (leave the flag out to fall back to the variables, ./.env, the config or the default)`,
    );
  });

  it("an empty -i among others is refused; set values pass", () => {
    expect(() => refuseEmpty({ image: ["a.png", ""] })).toThrow('--image "": must not be empty');
    expect(() => refuseEmpty({ model: "gpt-image-1", image: ["a.png"], json: true })).not.toThrow();
  });
});
