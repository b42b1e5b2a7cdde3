import { Hono } from "hono";
import type { AppEnv } from "../../lib/context.ts";

/**
 * The console's Content-Security-Policy: scripts, styles and connections from this origin only,
 * no inline code, images from this origin or the page's own blobs (partial images, previews),
 * never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every console page and asset carries. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
};

/**
 * `GET /` and `GET /assets/*`: the console's static files (apps/console/dist through the `ASSETS`
 * binding) with the security headers above. The page is one HTML shell; assets are named by
 * content hash, so they are cached for a year while the shell is revalidated every time.
 */
export const pagesRouter = new Hono<AppEnv>();

async function serve(c: { env: AppEnv["Bindings"]; req: { raw: Request } }, immutable: boolean): Promise<Response> {
  if (!c.env.ASSETS) return new Response("the console is not built into this Worker", { status: 404 });
  const res = await c.env.ASSETS.fetch(c.req.raw);
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) out.headers.set(k, v);
  if (res.ok) out.headers.set("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return out;
}

pagesRouter.get("/", (c) => serve(c, false));
pagesRouter.get("/assets/*", (c) => serve(c, true));
