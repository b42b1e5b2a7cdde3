import { createImageClient, networkErrorDetail, type ResolvedProvider } from "@gptimg/core";
import { describeFailure } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { FLAGS, type FlagName } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { parseCommandArgs, parseDuration, str } from "../cli/parse.ts";
import { applyDefaults, mediaByDefault } from "../config/defaults.ts";
import { type DirectSettings, directSettings } from "../config/provider-settings.ts";
import { chooseRoute, loadSources, pick, type Sources, variable, workerSettings } from "../config/settings.ts";
import { resolvePrimary } from "../run/route.ts";
import { fallbackChecks } from "./doctor-fallbacks.ts";
import { updateCheck } from "./doctor-update.ts";
import type { CommandRun } from "./types.ts";

type Status = "ok" | "warn" | "fail" | "skip";
interface Check {
  name: string;
  status: Status;
  detail: string;
  exitCode?: number;
}

/** Clocks further apart than this break signed URLs and request signing. */
const MAX_SKEW_MS = 5 * 60_000;

function keyDetail(source: string | undefined, key: string | undefined): string {
  return key ? `${source}: ***redacted*** (${key.length} chars)` : "none found";
}

/** A fetch that remembers the last response's Date header and status. */
function recordingFetch() {
  const seen: { date?: string; status?: number } = {};
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await globalThis.fetch(input, init);
    seen.status = res.status;
    const d = res.headers.get("date");
    if (d) seen.date = d;
    return res;
  }) as typeof fetch;
  return { fetch: f, seen };
}

function clockCheck(date: string | undefined, now: number): Check {
  if (!date) return { name: "clock", status: "warn", detail: "the server sent no Date header" };
  const server = Date.parse(date);
  if (Number.isNaN(server)) return { name: "clock", status: "warn", detail: `unreadable Date header ${date}` };
  const skew = now - server;
  const secs = Math.round(Math.abs(skew) / 1000);
  if (Math.abs(skew) > MAX_SKEW_MS) {
    return {
      name: "clock",
      status: "fail",
      detail: `${secs}s ${skew > 0 ? "ahead of" : "behind"} the server`,
      exitCode: EXIT.failure,
    };
  }
  return { name: "clock", status: "ok", detail: `within ${Math.max(1, secs)}s of the server` };
}

function failure(name: string, e: unknown): Check {
  const { info, exitCode } = describeFailure(e);
  return { name, status: "fail", detail: info.message.split("\n")[0] ?? info.code, exitCode };
}

async function directChecks(s: Sources, io: Io, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  let d: ReturnType<typeof directSettings>;
  try {
    d = directSettings(s);
  } catch (e) {
    return [failure("provider", e)];
  }
  const primary = d.providers[0]!;
  checks.push(
    primary.apiKey
      ? { name: "key", status: "ok", detail: keyDetail(d.keySource, primary.apiKey) }
      : {
          name: "key",
          status: "fail",
          detail: ["none found: gptimg login, GPTIMG_API_KEY, .env or --api-key", ...d.withheld].join("; not used: "),
          exitCode: EXIT.auth,
        },
  );
  checks.push(settingsCheck(s, d));
  let resolved: ResolvedProvider;
  try {
    resolved = resolvePrimary(d);
  } catch (e) {
    return [...checks, failure("provider", e)];
  }
  if (!primary.apiKey) return [...checks, { name: "provider", status: "skip", detail: "no key" }];
  const rec = recordingFetch();
  // Checked alongside the primary; listed after its lines.
  const fallbacks = fallbackChecks(d.providers.slice(1), io, timeoutMs);
  const skipped = d.notes.map(
    (note): Check => ({ name: "fallback", status: "warn", detail: note.replace(/^fallback /, "") }),
  );
  const client = createImageClient({ providers: [primary], fetch: rec.fetch, timeoutMs, retry: { maxRetries: 0 } });
  const started = performance.now();
  let models: string[];
  try {
    models = await client.listModels({ signal: io.signal });
  } catch (e) {
    checks.push(failure("provider", e));
    checks.push(...(await fallbacks), ...skipped);
    if (rec.seen.date) checks.push(clockCheck(rec.seen.date, io.now().getTime()));
    return checks;
  }
  const ms = Math.round(performance.now() - started);
  checks.push({
    name: "provider",
    status: "ok",
    detail: `${resolved.name} (${resolved.profile}) ${resolved.baseUrl}: ${models.length} models, ${ms} ms`,
  });
  const model = resolved.fixedModel ? resolved.model : (d.model ?? resolved.model);
  checks.push(
    models.includes(model)
      ? { name: "model", status: "ok", detail: `${model} listed` }
      : {
          name: "model",
          status: "fail",
          detail: `${model} not listed (have: ${models.slice(0, 8).join(", ") || "none"})`,
          exitCode: EXIT.refused,
        },
  );
  checks.push(...(await fallbacks), ...skipped);
  checks.push(clockCheck(rec.seen.date, io.now().getTime()));
  return checks;
}

async function workerChecks(s: Sources, io: Io, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  let w: ReturnType<typeof workerSettings>;
  try {
    w = workerSettings(s);
  } catch (e) {
    return [failure("endpoint", e)];
  }
  checks.push(
    w.token
      ? { name: "token", status: "ok", detail: keyDetail(w.tokenSource, w.token) }
      : {
          name: "token",
          status: "fail",
          detail: `none: gptimg login --endpoint ${w.endpoint}, GPTIMG_TOKEN or --token`,
          exitCode: EXIT.auth,
        },
  );
  const signal = AbortSignal.any([io.signal, AbortSignal.timeout(timeoutMs)]);
  let date: string | undefined;
  try {
    const res = await fetch(`${w.endpoint}/v1/models`, {
      headers: w.token ? { authorization: `Bearer ${w.token}` } : {},
      signal,
    });
    date = res.headers.get("date") ?? undefined;
    if (res.status === 401 || res.status === 403) {
      checks.push({
        name: "endpoint",
        status: "fail",
        detail: `${w.endpoint} rejected the token (HTTP ${res.status})`,
        exitCode: EXIT.auth,
      });
    } else if (!res.ok) {
      checks.push({
        name: "endpoint",
        status: "fail",
        detail: `${w.endpoint}/v1/models: HTTP ${res.status}`,
        exitCode: EXIT.failure,
      });
    } else {
      const body = (await res.json().catch(() => ({}))) as { data?: { id?: string }[] };
      const ids = (body.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === "string");
      checks.push({ name: "endpoint", status: "ok", detail: `${w.endpoint}: ${ids.length} models` });
      const model = pick(s, "model", "GPTIMG_MODEL")?.value;
      if (model) {
        checks.push(
          ids.includes(model)
            ? { name: "model", status: "ok", detail: `${model} listed` }
            : { name: "model", status: "fail", detail: `${model} not listed`, exitCode: EXIT.refused },
        );
      } else checks.push({ name: "model", status: "ok", detail: `the Worker's default (${ids[0] ?? "none listed"})` });
    }
  } catch (e) {
    if (io.signal.aborted) throw e;
    checks.push({
      name: "endpoint",
      status: "fail",
      detail: `${w.endpoint}: could not reach it (${networkErrorDetail(e)})`,
      exitCode: EXIT.failure,
    });
  }
  if (date) checks.push(clockCheck(date, io.now().getTime()));
  return checks;
}

/** Where the base URL, model and each request default come from (flag, variable, .env or config). */
function settingsCheck(s: Sources, d: DirectSettings): Check {
  const primary = d.providers[0]!;
  const parts = [
    `provider ${primary.name} from ${pick(s, "provider", "GPTIMG_PROVIDER")?.source ?? (s.file.config.provider ? `provider (config ${s.file.path})` : "the built-in default")}`,
    `base URL ${primary.baseUrl ?? "the profile's"} from ${d.baseSource ?? `the ${primary.profile} profile`}`,
  ];
  const model = pick(s, "model", "GPTIMG_MODEL") ?? variable(s, "OPENAI_IMAGE_MODEL");
  if (model) parts.push(`model ${model.value} from ${model.source}`);
  const { values, origins } = applyDefaults({}, s, "doctor", Object.keys(FLAGS), {
    name: primary.name,
    defaults: d.defaults,
  });
  for (const [flagName, origin] of Object.entries(origins))
    parts.push(`${flagName} ${String(values[flagName as FlagName])} from ${origin}`);
  const media = mediaByDefault(s);
  if (media) parts.push(`MEDIA: lines from ${media.source}`);
  return { name: "settings", status: "ok", detail: parts.join("; ") };
}

/** `gptimg doctor`: one line per check (each fallback too); exits with the first failing check's code. */
export const run: CommandRun = async (args, io, spec) => {
  const { values } = parseCommandArgs(spec, args);
  // a config file other commands refuse is a failing check here, in the usual envelope
  const sources = await loadSources(values, io, { tolerate: true });
  const f = sources.file;
  const timeout = str(values, "timeout");
  const timeoutMs = timeout ? parseDuration(timeout) : 15_000;
  const mode = f.mode !== undefined ? ` (0${f.mode.toString(8)})` : "";
  const checks: Check[] = [
    f.problem
      ? {
          name: "config",
          status: "fail",
          detail: `${f.path}: ${f.problem.message}; ${f.problem.issues.length > 0 ? "gptimg config show names each problem; gptimg config set KEY VALUE or gptimg config unset KEY fixes one" : "fix or remove the file"}`,
          exitCode: EXIT.usage,
        }
      : f.exists
        ? { name: "config", status: "ok", detail: `${f.path}${mode}` }
        : { name: "config", status: "ok", detail: `${f.path} not created (fine when keys come from the environment)` },
  ];
  const route = chooseRoute(sources);
  if (f.problem) {
    // the settings it holds are not used until it loads
    checks.push({
      name: route === "worker" ? "endpoint" : "provider",
      status: "skip",
      detail: "config file to fix first",
    });
  } else {
    checks.push(
      ...(route === "worker" ? await workerChecks(sources, io, timeoutMs) : await directChecks(sources, io, timeoutMs)),
    );
  }
  if (values["check-update"] === true) checks.push(await updateCheck(io, timeoutMs));
  const failed = checks.find((c) => c.status === "fail");
  if (values.json === true) io.out(JSON.stringify({ ok: !failed, route, checks }));
  else for (const c of checks) io.out(`${c.status.padEnd(5)}${c.name.padEnd(10)}${c.detail}`);
  return failed ? (failed.exitCode ?? EXIT.failure) : EXIT.ok;
};
