import { resolve } from "node:path";
import type { Io } from "../cli/io.ts";
import type { Progress } from "../cli/progress.ts";
import type { Sources } from "../config/settings.ts";
import { rateTable } from "../cost.ts";
import { claimOutput } from "../files/claim.ts";
import { planOutput } from "../files/naming.ts";
import { ensureWritableDir, isDirectory } from "../files/write.ts";
import type { JobsClient } from "../worker/jobs-client.ts";
import type { Job } from "../worker/types.ts";
import type { Envelope, OutputMode } from "./envelope.ts";
import { ImageSaver, type UnsavedImage } from "./saver.ts";
import { saveJob } from "./worker-route.ts";

export interface SaveFinishedJob {
  job: Job;
  jobs: JobsClient;
  io: Io;
  sources: Sources;
  mode: OutputMode;
  out: string | undefined;
  force: boolean;
  progress: Progress;
  /** the directory `out` must stay inside as files are written (an MCP call's) */
  within?: string;
  /** takes an image that could be saved nowhere (an MCP call returns it inline); else it fails */
  keep?: (image: UnsavedImage) => void;
}

/**
 * Saves a finished job's images under `out` (a file or directory, default the working
 * directory, named from the job id) and returns the envelope without `command`/`elapsedMs`.
 * Throws the job's own error when it failed.
 */
export async function saveFinishedJob(s: SaveFinishedJob): Promise<Omit<Envelope, "command" | "elapsedMs">> {
  const plan = planOutput({
    out: s.out,
    outIsDir: s.out !== undefined && (await isDirectory(resolve(s.io.cwd, s.out))),
    cwd: s.io.cwd,
    prompt: s.job.id,
    now: s.io.now(),
    n: Math.max(1, s.job.images?.length ?? 1),
    within: s.within,
  });
  await ensureWritableDir(plan.dir);
  const saver = new ImageSaver(await claimOutput(plan, "png", s.force), s.force, s.keep ? { keep: s.keep } : {});
  const result = await saveJob(s.job, {
    jobs: s.jobs,
    saver,
    io: s.io,
    mode: s.mode,
    rates: rateTable(s.sources.file.config.rates),
    progress: s.progress,
  });
  for (const note of saver.notes) s.io.err(note);
  return result;
}
