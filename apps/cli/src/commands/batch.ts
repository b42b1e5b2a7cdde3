import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type BatchLine, lineHash, parseLine } from "../batch/lines.ts";
import { BatchState } from "../batch/state.ts";
import { CliError, describeFailure, type FailureInfo, usageError } from "../cli/errors.ts";
import { EXIT, mostSerious } from "../cli/exit-codes.ts";
import type { FlagValues } from "../cli/flags.ts";
import { type Io, notingErr } from "../cli/io.ts";
import { flag, intFlag, parseCommandArgs, str } from "../cli/parse.ts";
import { providerDetail, reportFailure } from "../cli/report.ts";
import { loadSources } from "../config/settings.ts";
import { fsReason } from "../files/fs-reason.ts";
import { ensureWritableDir, exists } from "../files/write.ts";
import type { Envelope } from "../run/envelope.ts";
import { executeImage, outputMode } from "../run/execute.ts";
import type { CommandRun } from "./types.ts";

/** One line's part of the `--json` results (key order as printed). */
interface LineResult {
  line: number;
  ok: boolean;
  skipped: boolean;
  images: Envelope["images"];
  cost: number | null;
  error: FailureInfo | null;
  /** what the line would exit with as a single generate or edit (0 when done or skipped) */
  exitCode: number;
  /** the line's `note:` and `warning:` lines, as printed on stderr; absent when none */
  notes?: string[];
}

/** `gptimg batch FILE.jsonl --concurrency N`: bounded concurrency, failures isolated, re-runs resume. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const json = flag(values, "json");
  try {
    return await batch(values, positionals, io, json);
  } catch (e) {
    return reportFailure(io, "batch", e, json);
  }
};

async function batch(values: FlagValues, positionals: string[], io: Io, json: boolean): Promise<number> {
  const [file] = positionals;
  if (!file) throw usageError("batch: give one FILE.jsonl");
  outputMode(values);
  const concurrency = intFlag(values, "concurrency", 1, 32) ?? 2;
  const jsonl = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(jsonl, "utf8");
  } catch (e) {
    throw new CliError("io", `batch ${file}: cannot read it: ${fsReason(e)}`, {
      exitCode: EXIT.usage,
    });
  }
  const out = str(values, "out");
  const outDir = resolve(io.cwd, out ?? ".");
  await ensureWritableDir(outDir);
  const sources = await loadSources(values, io);
  const state = new BatchState(outDir, jsonl);
  await state.load();

  const defaults: FlagValues = { ...values };
  delete defaults.concurrency;
  delete defaults.out;
  const rows = text
    .split(/\r?\n/)
    .map((t, i) => ({ text: t, line: i + 1 }))
    .filter((r) => r.text.trim() !== "");
  const results: LineResult[] = [];
  const jobIo: Io = { ...io, interactive: false };
  let next = 0;
  let finished = 0;

  const runOne = async (row: { text: string; line: number }): Promise<LineResult> => {
    const base = { line: row.line, images: [], cost: null };
    const done = state.get(lineHash(row.text));
    if (done && done.paths.length > 0 && (await Promise.all(done.paths.map(exists))).every(Boolean)) {
      return { ...base, ok: true, skipped: true, error: null, exitCode: EXIT.ok };
    }
    let parsed: BatchLine;
    // a line's notes name it (lines run side by side), and its --json result carries them
    const notes: string[] = [];
    const lineIo: Io = {
      ...jobIo,
      err: notingErr({ ...jobIo, err: (l) => io.err(l.replace(/^(note|warning): /, `$1: line ${row.line}: `)) }, notes),
    };
    try {
      parsed = parseLine(row.text, row.line, defaults, outDir);
      const envelope = await executeImage(
        parsed.kind,
        parsed.values,
        parsed.prompt,
        lineIo,
        { ...sources, flags: parsed.values },
        { within: outDir },
      );
      const images = envelope?.images ?? [];
      // The images are made and saved: a state file that cannot be written costs only the skip
      // on a re-run, never this line's result.
      await state
        .markDone(parsed.hash, { line: row.line, paths: images.map((i) => i.path), at: io.now().toISOString() })
        .catch((e: unknown) =>
          io.err(`warning: line ${row.line}: not recorded in ${state.path}, a re-run makes it again: ${fsReason(e)}`),
        );
      return {
        ...base,
        ok: true,
        skipped: false,
        images,
        cost: envelope?.cost ?? null,
        error: null,
        exitCode: EXIT.ok,
        ...(notes.length > 0 ? { notes } : {}),
      };
    } catch (e) {
      const { info, exitCode } = describeFailure(e);
      const { redact } = await import("@gptimg/core/redact");
      const { secrets } = await import("../cli/secrets.ts");
      info.message = redact(info.message, secrets());
      // Line-level problems (bad JSON, unknown key) already start with "line N:".
      const text = info.message.split("\n").join("; ");
      const prefix = text.startsWith(`line ${row.line}:`) ? "" : `line ${row.line}: `;
      io.err(`error: ${prefix}${text}${providerDetail(e, info)}`);
      return { ...base, ok: false, skipped: false, error: info, exitCode, ...(notes.length > 0 ? { notes } : {}) };
    }
  };

  const worker = async (): Promise<void> => {
    while (next < rows.length && !io.signal.aborted) {
      const row = rows[next++]!;
      const r = await runOne(row);
      results.push(r);
      finished += 1;
      if (io.interactive)
        io.err(
          `[${finished}/${rows.length}] line ${row.line} ${r.skipped ? "skipped (done before)" : r.ok ? "done" : "failed"}`,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  if (io.signal.aborted) throw new CliError("aborted", "interrupted", { exitCode: EXIT.interrupted });

  results.sort((a, b) => a.line - b.line);
  const summary = {
    total: rows.length,
    done: results.filter((r) => r.ok && !r.skipped).length,
    skipped: results.filter((r) => r.skipped).length,
    failed: results.filter((r) => !r.ok).length,
    images: results.reduce((a, r) => a + r.images.length, 0),
    cost: results.some((r) => r.cost !== null)
      ? Math.round(results.reduce((a, r) => a + (r.cost ?? 0), 0) * 1e6) / 1e6
      : null,
  };
  io.err(
    `batch: ${summary.done} done, ${summary.skipped} skipped, ${summary.failed} failed of ${summary.total}; ${summary.images} images` +
      (summary.cost !== null ? `, ~$${summary.cost.toFixed(4)}` : ""),
  );
  const failed = results.some((r) => !r.ok);
  if (json) {
    io.out(
      JSON.stringify({
        ok: !failed,
        command: "batch",
        summary,
        results,
        state: state.path,
      }),
    );
  }
  // the most serious line decides: a line that may have been billed is never hidden behind one that sent nothing
  return mostSerious(results.map((r) => r.exitCode));
}
