import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { flag, intFlag, parseCommandArgs, str } from "../cli/parse.ts";
import { registerSecret } from "../cli/secrets.ts";
import { loadSources, pick, workerSettings } from "../config/settings.ts";
import { networkError, workerError } from "../worker/http.ts";
import type { CommandRun } from "./types.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `gptimg admin token create|list|revoke ID` and `gptimg admin usage`, with the admin token. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [group, sub, id, ...extra] = positionals;
  if (extra.length > 0) throw usageError(`admin: unexpected ${extra[0]}`);
  const sources = loadSources(values, io);
  const { endpoint } = workerSettings(sources);
  const admin = pick(sources, "admin-token", "GPTIMG_ADMIN_TOKEN")?.value;
  if (!admin)
    throw new CliError("auth", "no admin token: set GPTIMG_ADMIN_TOKEN or pass --admin-token", { exitCode: EXIT.auth });
  registerSecret(admin);
  const json = flag(values, "json");

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const url = `${endpoint}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          accept: "application/json",
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: io.signal,
      });
    } catch (e) {
      if (io.signal.aborted) throw e;
      throw networkError(url, e);
    }
    if (!res.ok) throw await workerError(res, `${method} ${path}`);
    return res.status === 204 ? {} : res.json().catch(() => ({}));
  };

  if (group === "token" && sub === "create") {
    const team = str(values, "team");
    const member = str(values, "member");
    if (!team || !member) throw usageError("admin token create: --team and --member are required");
    const models = str(values, "models");
    const body = {
      team,
      member,
      ...optionalInt("expires_in_days", intFlag(values, "expires-in-days", 1, 3650)),
      ...(models
        ? {
            models: models
              .split(",")
              .map((m) => m.trim())
              .filter(Boolean),
          }
        : {}),
      ...optionalInt("daily_image_quota", intFlag(values, "daily-image-quota", 0, 1_000_000)),
      ...optionalInt("rpm", intFlag(values, "rpm", 1, 100_000)),
    };
    const created = (await call("POST", "/admin/tokens", body)) as { id?: string; token?: string };
    if (typeof created.token !== "string" || created.token === "") {
      throw new CliError("bad_response", "admin token create: the Worker answered without a token", {
        status: 200,
      });
    }
    if (json) io.out(JSON.stringify(created));
    else {
      // The token is the data asked for, shown this once: stdout; everything else stderr.
      io.err(`created ${created.id ?? "token"} for ${member} of ${team}; it is shown only now`);
      io.out(created.token);
    }
    return EXIT.ok;
  }
  if (group === "token" && sub === "list") {
    const team = str(values, "team");
    const list = (await call("GET", `/admin/tokens${team ? `?team=${encodeURIComponent(team)}` : ""}`)) as {
      data?: unknown[];
    };
    if (json) io.out(JSON.stringify(list));
    else {
      for (const t of (list.data ?? []) as Record<string, unknown>[]) {
        io.out(
          [t.id, t.team, t.member, t.expires_at ?? "", t.revoked_at ? "revoked" : "active"].map(String).join("\t"),
        );
      }
    }
    return EXIT.ok;
  }
  if (group === "token" && sub === "revoke") {
    if (!id || !/^[A-Za-z0-9_-]{1,128}$/.test(id))
      throw usageError("admin token revoke: needs a token id such as tok_abc");
    await call("DELETE", `/admin/tokens/${encodeURIComponent(id)}`);
    io.err(`revoked ${id}`);
    if (json) io.out(JSON.stringify({ ok: true, revoked: id }));
    return EXIT.ok;
  }
  if (group === "usage" && sub === undefined) {
    const q = new URLSearchParams();
    for (const k of ["from", "to"] as const) {
      const v = str(values, k);
      if (v !== undefined && !DAY.test(v)) throw usageError(`--${k} ${v}: must be YYYY-MM-DD`);
      if (v) q.set(k, v);
    }
    const team = str(values, "team");
    if (team) q.set("team", team);
    const usage = (await call("GET", `/admin/usage${q.size ? `?${q}` : ""}`)) as { rows?: Record<string, unknown>[] };
    if (json) io.out(JSON.stringify(usage));
    else {
      for (const r of usage.rows ?? []) {
        io.out(
          [
            r.team,
            r.member,
            r.model,
            r.images,
            // images of failed requests the provider may have billed; "unknown" for a model without a rate
            r.possibly_billed_images ?? 0,
            r.input_tokens,
            r.output_tokens,
            r.cost_usd ?? "unknown",
          ]
            .map(String)
            .join("\t"),
        );
      }
    }
    return EXIT.ok;
  }
  throw usageError(
    `admin ${[group, sub].filter(Boolean).join(" ")}: choose token create, token list, token revoke ID or usage`,
  );
};

const optionalInt = (key: string, v: number | undefined): Record<string, number> =>
  v === undefined ? {} : { [key]: v };
