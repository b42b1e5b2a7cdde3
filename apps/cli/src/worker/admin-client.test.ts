import { describe, expect, it } from "vitest";
import { createAdminClient } from "./admin-client.ts";

const ADMIN = "admin-canary-token-cli-do-not-leak";
const signal = new AbortController().signal;

/** A client over a fake `fetch` that records each request and answers with `answer`. */
function withFake(answer: (req: Request) => Response | Promise<Response>) {
  const seen: { method: string; url: string; auth: string | null; body: string }[] = [];
  const admin = createAdminClient({
    endpoint: "http://worker.test",
    adminToken: ADMIN,
    fetch: async (input, init) => {
      const req = new Request(input as RequestInfo, init);
      seen.push({
        method: req.method,
        url: req.url,
        auth: req.headers.get("authorization"),
        body: await req.clone().text(),
      });
      return answer(req);
    },
  });
  return { admin, seen };
}

describe("the admin client", () => {
  it("sends each call to its route with the admin token", async () => {
    const { admin, seen } = withFake((req) =>
      req.method === "POST"
        ? Response.json({ id: "tok_1", token: "gpi_new" }, { status: 201 })
        : Response.json({ data: [], rows: [] }),
    );
    expect(await admin.createToken({ team: "acme", member: "alice", rpm: 5 }, signal)).toMatchObject({
      token: "gpi_new",
    });
    await admin.listTokens("a b", signal);
    await admin.revokeToken("tok_1", signal);
    await admin.usage({ from: "2026-01-01", team: "acme" }, signal);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST http://worker.test/admin/tokens",
      "GET http://worker.test/admin/tokens?team=a%20b",
      "DELETE http://worker.test/admin/tokens/tok_1",
      "GET http://worker.test/admin/usage?from=2026-01-01&team=acme",
    ]);
    expect(new Set(seen.map((s) => s.auth))).toEqual(new Set([`Bearer ${ADMIN}`]));
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ team: "acme", member: "alice", rpm: 5 });
  });

  it("a refusal is an error naming the call, in the Worker's words", async () => {
    const { admin } = withFake(() =>
      Response.json({ error: { message: "token tok_x: no such token", code: "not_found" } }, { status: 404 }),
    );
    await expect(admin.revokeToken("tok_x", signal)).rejects.toMatchObject({
      code: "not_found",
      status: 404,
      message: "DELETE /admin/tokens/tok_x: token tok_x: no such token",
    });
  });

  it("a wrong admin token is auth; an unreachable Worker is network, naming the URL", async () => {
    const refused = withFake(() =>
      Response.json({ error: { message: "admin token required", code: "auth" } }, { status: 401 }),
    );
    await expect(refused.admin.listTokens(undefined, signal)).rejects.toMatchObject({ code: "auth", status: 401 });
    const down = withFake(() => {
      throw new TypeError("fetch failed");
    });
    await expect(down.admin.usage({}, signal)).rejects.toMatchObject({
      code: "network",
      message: expect.stringContaining("http://worker.test/admin/usage"),
    });
  });
});
