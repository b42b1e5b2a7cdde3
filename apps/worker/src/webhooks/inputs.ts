/**
 * Edit inputs fetched from a chat platform: one file at a time against one budget for them all
 * (core takes at most 50 MB of inputs per edit), so a message carrying many large pictures is
 * refused while reading, never held whole in the isolate first.
 */

/** Most bytes of pictures one chat edit downloads, in total: core's limit on an edit's inputs. */
export const MAX_CHAT_INPUT_BYTES = 50 * 1024 * 1024;

/** One picture of a message. */
export interface ChatInput {
  /** its size as the platform declared it, when it does (Slack, Discord) */
  size?: number;
  /**
   * downloads it, reading at most `budget` bytes (and at most its platform's per-file cap);
   * throws InputsTooLargeError past the budget
   */
  fetch: (budget: number) => Promise<Uint8Array>;
}

/** The pictures of one message add up to more than MAX_CHAT_INPUT_BYTES. */
export class InputsTooLargeError extends Error {
  override name = "InputsTooLargeError";
  constructor() {
    super(`edit inputs are over the ${MAX_CHAT_INPUT_BYTES}-byte total limit`);
  }
}

/**
 * Downloads the pictures one after another, each against what is left of the budget. Refuses
 * before any download when the declared sizes already add up to more than the budget.
 * @example const images = await downloadInputs(start.inputs)
 */
export const downloadInputs = async (inputs: readonly ChatInput[]): Promise<Uint8Array[]> => {
  const declared = inputs.reduce((n, i) => n + (Number.isFinite(i.size) ? Math.max(0, i.size as number) : 0), 0);
  if (declared > MAX_CHAT_INPUT_BYTES) throw new InputsTooLargeError();
  const out: Uint8Array[] = [];
  let left = MAX_CHAT_INPUT_BYTES;
  for (const input of inputs) {
    const bytes = await input.fetch(left);
    left -= bytes.length;
    if (left < 0) throw new InputsTooLargeError();
    out.push(bytes);
  }
  return out;
};
