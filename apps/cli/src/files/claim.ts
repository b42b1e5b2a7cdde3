import { lstat, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileName, type OutputPlan } from "./naming.ts";
import { exists, OutputExistsError } from "./write.ts";

/** Bound on `_2`, `_3`… counters tried for an automatic name. */
export const MAX_COUNTER = 1000;

const targets = (plan: OutputPlan, ext: string): string[] =>
  Array.from({ length: plan.n }, (_, i) => join(plan.dir, fileName(plan, i, ext)));

/**
 * The first plan from `plan.counter` on (`_2`, `_3`…) whose names in `ext` are all free. Only a
 * plan that may `move` (by default an automatic stem) is renamed; otherwise a taken name fails
 * with `OutputExistsError`.
 */
export async function freePlan(plan: OutputPlan, ext: string, move = plan.auto): Promise<OutputPlan> {
  for (let k = plan.counter ?? 1; k <= MAX_COUNTER; k++) {
    const candidate = move ? { ...plan, counter: k } : plan;
    const taken = (await Promise.all(targets(candidate, ext).map(async (t) => ((await exists(t)) ? t : "")))).find(
      (t) => t !== "",
    );
    if (taken === undefined) return candidate;
    if (!move) throw new OutputExistsError(taken, await describeTaken(taken));
  }
  throw new OutputExistsError(join(plan.dir, fileName({ ...plan, counter: MAX_COUNTER }, 0, ext)));
}

/**
 * Checks the output names before the request goes out, so an image is never paid for and then
 * refused at save time: an explicit `-o FILE` that exists fails now (unless `force`), and an
 * automatic name already taken (two runs in the same second) moves on to `_2`, `_3`…
 * `ext` is the extension of the format asked for; the saver still re-checks the real one.
 */
export async function claimOutput(plan: OutputPlan, ext: string, force: boolean): Promise<OutputPlan> {
  return force ? plan : freePlan(plan, ext);
}

/** "exists", or what kind of link is there (a dangling link looks absent to stat). */
async function describeTaken(target: string): Promise<string> {
  const st = await lstat(target).catch(() => undefined);
  if (!st?.isSymbolicLink()) return "exists";
  const dangling = await stat(target).then(
    () => false,
    () => true,
  );
  return dangling ? "is a symbolic link to nothing (not followed)" : "is a symbolic link (not followed)";
}
