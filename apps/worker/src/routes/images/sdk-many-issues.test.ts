import type { Uploadable } from "openai/uploads";
import { describe, expect, it } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import { call, memberToken, providerPerTest } from "../../../test/gateway-support.ts";
import { sdkClient } from "../../../test/sdk-client.ts";

const start = providerPerTest();

/** What a call threw (the test fails if it resolved). */
const thrown = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => expect.fail("the call succeeded"),
    (e: unknown) => e,
  );

describe("a body with very many bad fields", () => {
  it("an edit whose image is raw bytes (no toFile) is one short 400 naming the first fields and counting the rest", async () => {
    const side = start();
    const { token } = await memberToken({ team: "sdk-many-issues" });
    const bytes = png({ width: 64, height: 64, colorType: 2 });
    // the SDK sends bytes it was not told are a file as one form field per byte: image[0], image[1], …
    const image = bytes as unknown as Uploadable;
    const e = (await thrown(sdkClient(token).images.edit({ prompt: "a scarf", image }))) as {
      status: number;
      error: { message: string; param: string | null; code: string };
    };
    expect(e.status).toBe(400);
    expect(e.error.code).toBe("validation");
    expect(e.error.param).toBe("image[0]");
    const lines = e.error.message.split("\n");
    expect(lines[0]).toMatch(/^image\[0\] /);
    expect(lines).toHaveLength(6);
    // one issue per byte, and `image` itself is missing
    const more = bytes.length + 1 - 5;
    expect(lines[5]).toBe(`… and ${more.toLocaleString("en-US")} more`);
    expect(e.error.message.length).toBeLessThan(1000);
    expect(side.calls).toHaveLength(0);
  });

  it("a generation with 2,000 unknown fields is a 400 naming the first five", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-many-issues" });
    const body: Record<string, unknown> = { prompt: "a lighthouse" };
    for (let i = 0; i < 2000; i++) body[`extra_${i}`] = i;
    const res = await call("/v1/images/generations", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe("extra_0");
    expect(error.message).toBe(
      [
        ...[0, 1, 2, 3, 4].map((i) => `extra_${i} ${i}: is not a known parameter of an image request`),
        "… and 1,995 more",
      ].join("\n"),
    );
  });
});
