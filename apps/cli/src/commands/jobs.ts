import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { flag, idArgument, intFlag, parseCommandArgs, parseDuration, str } from "../cli/parse.ts";
import { startProgress } from "../cli/progress.ts";
import { reportFailure } from "../cli/report.ts";
import { mediaByDefault } from "../config/defaults.ts";
import { loadSources, workerSettings } from "../config/settings.ts";
import { printEnvelope } from "../run/envelope.ts";
import { outputMode } from "../run/execute.ts";
import { saveFinishedJob } from "../run/job-wait.ts";
import { DEFAULT_JOB_WAIT_MS } from "../run/worker-route.ts";
import { createJobsClient } from "../worker/jobs-client.ts";
import type { CommandRun } from "./types.ts";

/** `gptimg jobs list|show ID|wait ID` against the Worker. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [sub, id] = positionals;
  // the command line is checked before the settings: a typo is named, not the missing endpoint
  if (sub !== "list" && sub !== "show" && sub !== "wait")
    throw usageError(
      `${sub === undefined ? "jobs: needs a subcommand" : `jobs ${sub}: unknown subcommand`}; choose list, show ID or wait ID`,
    );
  // "" for list, which takes no id
  const jobId = sub === "list" ? "" : idArgument(`jobs ${sub}`, id, "job", "job_abc123");
  const json = flag(values, "json");
  const sources = await loadSources(values, io);
  const w = workerSettings(sources);
  if (!w.token) {
    throw new CliError(
      "auth",
      `no team token for ${w.endpoint}: gptimg login --endpoint ${w.endpoint}, GPTIMG_TOKEN or --token`,
      {
        exitCode: EXIT.auth,
      },
    );
  }
  const jobs = createJobsClient({ endpoint: w.endpoint, token: w.token });
  if (sub === "list") {
    const scope = str(values, "scope");
    if (scope !== undefined && scope !== "member" && scope !== "team")
      throw usageError(`--scope ${scope}: must be member or team`);
    const limit = intFlag(values, "limit", 1, 100);
    const cursor = str(values, "cursor");
    const list = await jobs.list(
      { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}), ...(scope ? { scope } : {}) },
      io.signal,
    );
    if (json) io.out(JSON.stringify(list));
    else {
      for (const j of list.data) {
        const when = j.created_at ? new Date(j.created_at * 1000).toISOString() : "";
        io.out([j.id, j.status, j.kind ?? "", j.model ?? "", j.member ?? "", when].join("\t"));
      }
      if (list.next_cursor) io.err(`more: gptimg jobs list --cursor ${list.next_cursor}`);
    }
    return EXIT.ok;
  }
  if (sub === "show") {
    const job = await jobs.get(jobId, io.signal);
    io.out(json ? JSON.stringify(job) : JSON.stringify(job, null, 2));
    return EXIT.ok;
  }
  const started = performance.now();
  const mode = outputMode(values, mediaByDefault(sources) !== undefined);
  const out = str(values, "out");
  const timeout = str(values, "timeout");
  const progress = startProgress(io, `waiting for ${jobId}`);
  try {
    const job = await jobs.wait(jobId, {
      signal: io.signal,
      timeoutMs: timeout ? parseDuration(timeout) : DEFAULT_JOB_WAIT_MS,
      onStatus: (s) => progress.update(`job ${s}`),
    });
    const result = await saveFinishedJob({
      job,
      jobs,
      io,
      sources,
      mode,
      out,
      force: flag(values, "force"),
      progress,
    });
    progress.stop();
    printEnvelope(io, mode, { ...result, command: "jobs wait", elapsedMs: Math.round(performance.now() - started) });
    return EXIT.ok;
  } catch (e) {
    progress.stop();
    return reportFailure(io, "jobs wait", e, json);
  }
};
