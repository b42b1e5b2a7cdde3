/**
 * Provider images that are not whole (a cut or corrupt upload from the provider): each is stored
 * as it came, since the provider made and billed it, and the run then fails as possibly billed,
 * so the row counts it against the quota with its usage.
 */
import { BadResponseError, checkWholeImage } from "@gptimg/core";

/** Collects the images of one answer that are not whole; `assert` fails the run if any. */
export class WholeOutputs {
  private readonly problems: string[] = [];

  /** Checks one image's bytes (its structure only, no decoding) and remembers a failure. */
  check(bytes: Uint8Array, index: number, key: string): void {
    const whole = checkWholeImage(bytes);
    if (!whole.ok) this.problems.push(`image ${index} (stored as ${key.split("/").at(-1)}): ${whole.reason}`);
  }

  /** Throws a possibly billed `bad_response` naming every image that is not whole. */
  assert(): void {
    if (this.problems.length === 0) return;
    throw new BadResponseError(
      `the provider sent an image that is not whole: ${this.problems.join("; ")}; kept as sent and counted as possibly billed`,
      { possiblyBilled: true },
    );
  }
}
