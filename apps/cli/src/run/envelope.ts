import type { Io } from "../cli/io.ts";
import type { SavedImage } from "./saver.ts";

/** Token usage as the envelope reports it (camelCase, like core). */
export interface EnvelopeUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputTokensDetails?: { textTokens?: number; imageTokens?: number };
}

/** The `--json` success envelope: one stable object. */
export interface Envelope {
  ok: true;
  command: string;
  provider: string;
  model: string;
  images: SavedImage[];
  usage: EnvelopeUsage | null;
  cost: number | null;
  requestId: string | null;
  /** the Worker job that made the images (the Worker route), else null */
  jobId: string | null;
  sizeMismatch: boolean;
  elapsedMs: number;
  /**
   * the run's `note:` and `warning:` lines, as printed on stderr (a size alias sent smaller, a
   * file saved under another name, a size or format the provider changed); absent when none
   */
  notes?: string[];
}

/**
 * What a run gives back before the envelope is made: its fields, and the size the provider was
 * asked for as core (direct) or the Worker's job (`requested_size`) resolved it, carried to the
 * mismatch warnings rather than resolved again (not printed).
 */
export type RunResult = Omit<Envelope, "command" | "elapsedMs"> & { requestedSize: string | null };

/** "json+media": the envelope on stdout and MEDIA: lines on stderr. */
export type OutputMode = "paths" | "json" | "media" | "json+media";

/** Prints one saved path as soon as it exists (paths and MEDIA: modes; MEDIA: to stderr beside --json). */
export function printSaved(io: Io, mode: OutputMode, image: SavedImage): void {
  if (mode === "paths") io.out(image.path);
  else if (mode === "media") io.out(`MEDIA:${image.path}`);
  else if (mode === "json+media") io.err(`MEDIA:${image.path}`);
}

/** Prints the envelope (json modes only). */
export function printEnvelope(io: Io, mode: OutputMode, env: Envelope): void {
  if (mode === "json" || mode === "json+media") io.out(JSON.stringify(env));
}
