import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { flag, idArgument, intFlag, parseCommandArgs, str } from "../cli/parse.ts";
import { registerSecret } from "../cli/secrets.ts";
import { loadSources, pick, workerSettings } from "../config/settings.ts";
import { createAdminClient, type UsageQuery } from "../worker/admin-client.ts";
import type { CommandRun } from "./types.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `gptimg admin token create|list|revoke ID` and `gptimg admin usage`, with the admin token. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [group, sub, id] = positionals;
  // the command line is checked before the settings: a typo is named, not the missing endpoint
  const known =
    (group === "token" && (sub === "create" || sub === "list" || sub === "revoke")) ||
    (group === "usage" && sub === undefined);
  if (!known) {
    const typed = [group, sub].filter(Boolean).join(" ");
    throw usageError(
      `admin${typed ? ` ${typed}` : ""}: ${typed ? "unknown subcommand" : "needs a subcommand"}; choose token create, token list, token revoke ID or usage`,
    );
  }
  const revoked = group === "token" && sub === "revoke" ? idArgument("admin token revoke", id, "token", "tok_abc") : "";
  const sources = await loadSources(values, io);
  const { endpoint } = workerSettings(sources);
  const admin = pick(sources, "admin-token", "GPTIMG_ADMIN_TOKEN")?.value;
  if (!admin)
    throw new CliError("auth", "no admin token: set GPTIMG_ADMIN_TOKEN or pass --admin-token", { exitCode: EXIT.auth });
  registerSecret(admin);
  const json = flag(values, "json");

  const client = createAdminClient({ endpoint, adminToken: admin });

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
    const created = await client.createToken(body, io.signal);
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
    const list = await client.listTokens(team, io.signal);
    if (json) io.out(JSON.stringify(list));
    else {
      for (const t of list.data ?? []) {
        io.out(
          [t.id, t.team, t.member, t.expires_at ?? "", t.revoked_at ? "revoked" : "active"].map(String).join("\t"),
        );
      }
    }
    return EXIT.ok;
  }
  if (group === "token" && sub === "revoke") {
    await client.revokeToken(revoked, io.signal);
    io.err(`revoked ${revoked}`);
    if (json) io.out(JSON.stringify({ ok: true, revoked }));
    return EXIT.ok;
  }
  // `usage`, the only command left: the check above let nothing else through
  const q: UsageQuery = {};
  for (const k of ["from", "to"] as const) {
    const v = str(values, k);
    if (v !== undefined && !DAY.test(v)) throw usageError(`--${k} ${v}: must be YYYY-MM-DD`);
    if (v) q[k] = v;
  }
  const team = str(values, "team");
  if (team) q.team = team;
  const usage = await client.usage(q, io.signal);
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
};

const optionalInt = (key: string, v: number | undefined): Record<string, number> =>
  v === undefined ? {} : { [key]: v };
