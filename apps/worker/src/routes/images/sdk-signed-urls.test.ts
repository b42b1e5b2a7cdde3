import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { captureConsole, memberToken, providerPerTest } from "../../../test/gateway-support.ts";
import { sdkClient } from "../../../test/sdk-client.ts";

const start = providerPerTest();
/** The signature a presigned URL carries: it must show nowhere. */
const SIG = "canary-presigned-signature-0123456789";
const HOST = "https://bucket.s3.amazonaws.com";
const signed = (path: string) => `${HOST}${path}?X-Amz-Expires=300&X-Amz-Signature=${SIG}`;
const MIB = new Uint8Array(1024 * 1024);

/** An image host answering each path as a failing download would. */
const hosts = {
  [HOST]: (req: Request) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/moved.png")
      return new Response(null, { status: 302, headers: { location: `https://other.example/a.png?sig=${SIG}` } });
    if (pathname === "/text.png") return new Response("<html>an error page</html>");
    if (pathname === "/huge.png") {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull: (c) => (sent++ < 52 ? c.enqueue(MIB) : c.close()),
        }),
      );
    }
    return new Response("not found", { status: 404 });
  },
};

describe("edit inputs by presigned URL: errors name the URL without its signature", () => {
  it.each([
    [
      "a 404",
      signed("/missing.png"),
      /images\[0\]\.image_url https:\/\/bucket\.s3\.amazonaws\.com\/missing\.png\?…: the download answered HTTP 404/,
    ],
    ["a redirect", signed("/moved.png"), /moved\.png\?…: redirects are not followed/],
    ["a body that is not an image", signed("/text.png"), /must be PNG, JPEG or WebP/],
    ["more than 50 MB", signed("/huge.png"), /huge\.png\?…: the inputs pass 50 MB in total/],
    [
      "a host that cannot be reached (its error quotes the URL)",
      `https://unreachable.example/a.png?sig=${SIG}`,
      /unreachable\.example\/a\.png\?…: could not be downloaded/,
    ],
    ["an http URL", `http://bucket.example/a.png?token=${SIG}`, /https URL on a public host/],
    ["credentials in the URL", `https://me:${SIG}@bucket.example/a.png`, /images\[0\]\.image_url/],
    ["a fragment", `${HOST}/missing.png#token=${SIG}`, /missing\.png#…/],
  ])("%s: the SDK's error says what failed and quotes no signature, nor does any log line", async (_n, url, rule) => {
    const side = start(undefined, hosts);
    const logs = captureConsole();
    try {
      const { token } = await memberToken({ team: "signed-urls" });
      const client = sdkClient(token);
      const e = await client.post("/images/edits", { body: { prompt: "a scarf", images: [{ image_url: url }] } }).then(
        () => expect.fail("the edit succeeded"),
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(APIError);
      const { status, message, error } = e as APIError;
      expect(status).toBe(400);
      expect(message).toMatch(rule);
      expect(`${message}\n${JSON.stringify(error)}\n${logs.lines.join("\n")}`).not.toContain(SIG);
      expect(side.calls.some((c) => c.url.includes("/images/edits"))).toBe(false);
    } finally {
      logs.restore();
    }
  });
});
