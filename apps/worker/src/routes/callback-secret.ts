import { Hono } from "hono";
import { callbackSecrets } from "../jobs/callback-secret.ts";
import type { AppEnv } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { NoSigningKeyError } from "../lib/signing.ts";

/**
 * `GET /v1/callback-secret`: the caller's team's secret for verifying `callback_url` posts,
 * `{ "object": "callback_secret", "team", "kid", "secret", "keys": [{ "kid", "secret" }] }`.
 * `kid`/`secret` sign now; `keys` holds the team's secret under every configured signing key,
 * oldest first, so a receiver picks the one named by `X-Gptimg-Key-Id` across a rotation. The
 * secret verifies callbacks only: it cannot sign `/files` URLs or another team's callbacks.
 */
export const callbackSecretRouter = new Hono<AppEnv>();

callbackSecretRouter.get("/", async (c) => {
  const { team } = c.get("member");
  const keys = await callbackSecrets(c.env, team);
  const newest = keys.at(-1);
  if (!newest) throw new HttpError(500, "internal", new NoSigningKeyError().message);
  c.header("cache-control", "no-store");
  return c.json({ object: "callback_secret", team, kid: newest.kid, secret: newest.secret, keys });
});
