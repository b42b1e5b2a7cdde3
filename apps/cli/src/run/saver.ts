import { resolve } from "node:path";
import { checkWholeImage, extensionFor, inspectImage } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { freePlan, MAX_COUNTER } from "../files/claim.ts";
import { fsReason } from "../files/fs-reason.ts";
import { fileName, type OutputPlan } from "../files/naming.ts";
import { OutputExistsError, writeAtomic } from "../files/write.ts";

/**
 * Bun's collector is lazy with large buffers: without a nudge, images already written wait in
 * memory and four 11 MB 4K PNGs peak near 140 MB RSS. A full collection after each
 * image keeps the live set to about one image (see docs/benchmarks.md, CLI).
 */
function collectGarbage(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}

/** One saved image as the envelope reports it. */
export interface SavedImage {
  path: string;
  bytes: number;
  format: string;
  width: number;
  height: number;
  /** the signed URL the image came from (the Worker route) */
  url?: string;
}

/**
 * An image made that could be saved nowhere (its directory refused at write time, and the top of
 * the output directory too), handed to the caller instead of being dropped: an MCP call returns
 * it inline.
 */
export interface UnsavedImage {
  /** its position among the images made (0-based) */
  index: number;
  bytes: Uint8Array;
  format: string;
  width: number;
  height: number;
  url?: string;
  /** why it was saved nowhere */
  reason: string;
}

/**
 * Saves images under a plan: the extension from the real bytes, `-1`, `-2` for n > 1, atomic
 * and never overwriting without `force` (a name taken since the claim moves to `_2`, `_3`…). Nothing from the response chooses a path, only its index.
 */
export class ImageSaver {
  readonly saved: SavedImage[] = [];
  /** saved images whose bytes are not a whole image: kept on disk, reported by `assertWhole` */
  readonly notWhole: string[] = [];
  /** one line per image saved under another name than the explicit one asked for (it was taken) */
  readonly notes: string[] = [];
  private partialsSkipped: boolean;
  private readonly keep: ((image: UnsavedImage) => void) | undefined;
  /**
   * `partials: false` reports partial images without writing them (an MCP call keeps no previews);
   * `keep` takes an image that could be saved nowhere, which otherwise fails the run.
   */
  constructor(
    private plan: OutputPlan,
    private readonly force: boolean,
    opts: { partials?: boolean; keep?: (image: UnsavedImage) => void } = {},
  ) {
    this.partialsSkipped = opts.partials === false;
    this.keep = opts.keep;
  }

  /**
   * Saves one final image; `possiblyBilled` errors come from here if the bytes are no image.
   * Undefined when it could be saved nowhere and went to `keep`.
   */
  async save(bytes: Uint8Array, index: number, url?: string): Promise<SavedImage | undefined> {
    const info = inspectImage(bytes);
    if (!info.ok) {
      throw new CliError(
        "bad_response",
        `image ${index + 1}: the provider sent bytes that are not an image (${info.reason})`,
        {
          possiblyBilled: true,
        },
      );
    }
    const ext = extensionFor(info.format);
    let path: string;
    try {
      path = await this.write(bytes, index, ext);
    } catch (e) {
      // the image exists and was likely billed: say so, whatever kept it from the disk
      const why = e instanceof CliError ? e.message : fsReason(e);
      if (this.keep) {
        const { format, width, height } = info;
        this.keep({ index, bytes, format, width, height, ...(url ? { url } : {}), reason: why });
        return undefined;
      }
      throw new CliError(e instanceof CliError ? e.code : "io", `image ${index + 1} was made but not saved: ${why}`, {
        possiblyBilled: true,
        cause: e,
      });
    }
    // a cut or corrupt image was still made (and likely billed): keep what came, fail the run after
    const whole = checkWholeImage(bytes);
    if (!whole.ok) this.notWhole.push(`image ${index + 1} saved as ${path} is not a whole image (${whole.reason})`);
    const saved: SavedImage = {
      path,
      bytes: bytes.byteLength,
      format: info.format,
      width: info.width,
      height: info.height,
      ...(url ? { url } : {}),
    };
    this.saved.push(saved);
    collectGarbage();
    return saved;
  }

  /**
   * Throws once every image is saved when any is not a whole image: the files stay on disk as
   * the provider sent them, and the run exits as possibly billed.
   */
  assertWhole(): void {
    if (this.notWhole.length === 0) return;
    throw new CliError("bad_response", `${this.notWhole.join("\n")}\nthe provider's image data was cut or corrupt`, {
      possiblyBilled: true,
    });
  }

  /**
   * Writes under the plan's name. A name taken meanwhile (a parallel batch line or run, another
   * run or MCP call with the same `-o`, a format other than the one asked for) moves on to the next
   * free counter (`_2`, `_3`…) instead of failing: the image is made and likely billed, so it is
   * never dropped. An explicit name moved is said in {@link notes}; with `force` it is replaced.
   * A directory refused at write time (swapped for a symlink that leads out, removed, unwritable)
   * under an output directory (`within`) does not lose the image either: it is saved at the top
   * of the output directory under a free name, never replacing a file, and a note says why.
   */
  private async write(bytes: Uint8Array, index: number, ext: string): Promise<string> {
    const top = this.plan.within;
    try {
      const { path, taken } = await this.writeFree(bytes, index, ext);
      if (taken !== undefined) {
        this.notes.push(
          `note: image ${index + 1} saved as ${path}: ${taken} exists now (another run saved there, or the image came in another format than asked); nothing was overwritten`,
        );
      }
      return path;
    } catch (e) {
      // at the top already, there is no safer place
      if (top === undefined || e instanceof OutputExistsError || resolve(this.plan.dir) === resolve(top)) throw e;
      const why = e instanceof CliError ? e.message : fsReason(e);
      let path: string;
      try {
        ({ path } = await this.writeFree(bytes, index, ext, top));
      } catch (again) {
        const whyNot = again instanceof CliError ? again.message : fsReason(again);
        throw new CliError("io", `${why}; nor at the top of the output directory: ${whyNot}`, { exitCode: EXIT.usage });
      }
      this.notes.push(`note: image ${index + 1} saved as ${path}, at the top of the output directory instead: ${why}`);
      return path;
    }
  }

  /**
   * Writes under the plan's name in `dir` (the plan's, or the top of the output directory, where
   * nothing is replaced), moving on to the next free counter while the name is taken. `taken` is
   * the explicit name that was taken, if any.
   */
  private async writeFree(
    bytes: Uint8Array,
    index: number,
    ext: string,
    top?: string,
  ): Promise<{ path: string; taken: string | undefined }> {
    let plan = top === undefined ? this.plan : { ...this.plan, dir: top };
    const force = top === undefined && this.force;
    let taken: string | undefined;
    for (;;) {
      const named = index > 0 && plan.n === 1 ? { ...plan, n: index + 1 } : plan;
      try {
        const path = await writeAtomic(plan.dir, fileName(named, index, ext), bytes, { force, within: plan.within });
        return { path, taken };
      } catch (e) {
        const counter = plan.counter ?? 1;
        if (!(e instanceof OutputExistsError) || counter >= MAX_COUNTER) throw e;
        if (!plan.auto) taken ??= e.target;
        // a name taken since the claim moves on, explicit or not: the image is already made
        plan = await freePlan({ ...plan, counter: counter + 1 }, ext, true);
        // later images take the counter this one moved to
        if (top === undefined) this.plan = plan;
      }
    }
  }

  /**
   * Saves a partial image beside the final one as `<name>.partial-<k>.<ext>`. Returns the path,
   * or undefined when it could not be saved (a partial is a preview: it never fails the run).
   */
  async savePartial(bytes: Uint8Array, index: number, partialIndex: number): Promise<string | undefined> {
    const info = inspectImage(bytes);
    if (!info.ok || this.partialsSkipped) return undefined;
    // both numbers come from the stream: only small whole numbers may show in a name
    const small = (v: number, below: number) => Number.isInteger(v) && v >= 0 && v < below;
    if (!small(index, Math.max(this.plan.n, 1)) || !small(partialIndex, 10)) return undefined;
    const ext = extensionFor(info.format);
    const final = fileName(this.plan, index, ext);
    const name = `${final.slice(0, final.length - ext.length - 1)}.partial-${partialIndex + 1}.${ext}`;
    try {
      return await writeAtomic(this.plan.dir, name, bytes, { force: this.force, within: this.plan.within });
    } catch (e) {
      if (e instanceof CliError && e.exitCode === EXIT.usage) this.partialsSkipped = true;
      return undefined;
    }
  }
}
