import { ValidationError } from "@gptimg/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import { fetchInputs } from "./fetch-inputs.ts";

const HOST = "https://images.example.com";
const DOG = png({ width: 64, height: 64 });
/** A limit short enough for a test: the rule is the same at 30 s. */
const SHORT = { downloadMs: 50 };

/**
 * An image host: `/dog.png` answers whole, `/slow-body.png` sends its headers and the first bytes
 * and then nothing, `/slow-headers.png` never answers (a real fetch rejects once its signal
 * aborts, and so does this one). `cancelled` lists the bodies the Worker gave up on.
 */
function host() {
  const cancelled: string[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    const { pathname } = new URL(req.url);
    if (pathname === "/dog.png") return new Response(DOG);
    if (pathname === "/slow-body.png")
      return new Response(
        new ReadableStream<Uint8Array>({
          start: (c) => c.enqueue(DOG.subarray(0, 100)),
          cancel: () => void cancelled.push(req.url),
        }),
        { headers: { "content-type": "image/png" } },
      );
    if (pathname === "/slow-headers.png")
      return new Promise<Response>((_, reject) => {
        req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
      });
    throw new TypeError(`unexpected outbound fetch ${req.url}`);
  });
  return { cancelled, restore: () => spy.mockRestore() };
}

/** The ValidationError `run` ends with. */
async function refusal(run: Promise<unknown>): Promise<ValidationError> {
  const e = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(ValidationError);
  return e as ValidationError;
}

describe("fetchInputs: the time an image URL may take to download", () => {
  let side: ReturnType<typeof host> | undefined;
  afterEach(() => side?.restore());

  it.each([
    ["the JSON edit form", ".image_url", "images[1].image_url"],
    ["/mcp edit_image", "", "images[1]"],
  ])(
    "a host that sends headers and then stalls is a 400 for %s naming the field, the URL without its query and the rule",
    async (_n, suffix, field) => {
      side = host();
      const slow = `${HOST}/slow-body.png?X-Amz-Signature=canary-signature`;
      const e = await refusal(
        fetchInputs([`${HOST}/dog.png`, slow], undefined, new AbortController().signal, { ...SHORT, suffix }),
      );
      expect(e.issues).toEqual([
        { field, value: `${HOST}/slow-body.png?…`, rule: "did not finish downloading within 0.05 s" },
      ]);
      expect(e.message).not.toContain("canary-signature");
      expect(side.cancelled).toEqual([slow]);
    },
  );

  it("a host that never answers is the same 400, on the mask too", async () => {
    side = host();
    const e = await refusal(
      fetchInputs([`${HOST}/dog.png`], `${HOST}/slow-headers.png`, new AbortController().signal, {
        ...SHORT,
        suffix: ".image_url",
      }),
    );
    expect(e.issues).toEqual([
      { field: "mask.image_url", value: `${HOST}/slow-headers.png`, rule: "did not finish downloading within 0.05 s" },
    ]);
  });

  it("the limit is the request's own: a caller that hangs up is still an abort, not a 400", async () => {
    side = host();
    const caller = new AbortController();
    const run = fetchInputs([`${HOST}/slow-body.png`], undefined, caller.signal, { downloadMs: 60_000 });
    const why = new Error("the caller hung up");
    caller.abort(why);
    await expect(run).rejects.toBe(why);
  });

  it("an image that downloads in time is taken, at the 30 s default", async () => {
    side = host();
    const { images } = await fetchInputs([`${HOST}/dog.png`], undefined, new AbortController().signal);
    expect(new Uint8Array(await images[0]!.arrayBuffer())).toEqual(DOG);
  });
});
