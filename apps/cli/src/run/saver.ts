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
  /** `partials: false` reports partial images without writing them (an MCP call keeps no previews) */
  constructor(
    private plan: OutputPlan,
    private readonly force: boolean,
    opts: { partials?: boolean } = {},
  ) {
    this.partialsSkipped = opts.partials === false;
  }

  /** Saves one final image; `possiblyBilled` errors come from here if the bytes are no image. */
  async save(bytes: Uint8Array, index: number, url?: string): Promise<SavedImage> {
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
   */
  private async write(bytes: Uint8Array, index: number, ext: string): Promise<string> {
    let taken: string | undefined;
    for (;;) {
      const plan = index > 0 && this.plan.n === 1 ? { ...this.plan, n: index + 1 } : this.plan;
      try {
        const path = await writeAtomic(this.plan.dir, fileName(plan, index, ext), bytes, {
          force: this.force,
          within: this.plan.within,
        });
        if (taken !== undefined) {
          this.notes.push(
            `note: image ${index + 1} saved as ${path}: ${taken} exists now (another run saved there, or the image came in another format than asked); nothing was overwritten`,
          );
        }
        return path;
      } catch (e) {
        const counter = this.plan.counter ?? 1;
        if (!(e instanceof OutputExistsError) || counter >= MAX_COUNTER) throw e;
        if (!this.plan.auto) taken ??= e.target;
        // a name taken since the claim moves on, explicit or not: the image is already made
        this.plan = await freePlan({ ...this.plan, counter: counter + 1 }, ext, true);
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
