import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { randomHex } from "../files/random-hex.ts";

/** What a finished line left behind. */
export interface DoneEntry {
  line: number;
  paths: string[];
  at: string;
}

interface StateFile {
  version: 1;
  done: Record<string, DoneEntry>;
}

/**
 * The batch state file beside the output (`.<file>.gptimg-state.json`), keyed by line hash. A
 * re-run skips lines already done whose files are still there. Writes are serialized and atomic.
 */
export class BatchState {
  private state: StateFile = { version: 1, done: {} };
  private chain: Promise<void> = Promise.resolve();
  readonly path: string;
  constructor(
    readonly dir: string,
    jsonlPath: string,
  ) {
    this.path = join(dir, `.${basename(jsonlPath)}.gptimg-state.json`);
  }

  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.path, "utf8")) as StateFile;
      if (parsed?.version === 1 && typeof parsed.done === "object" && parsed.done !== null) this.state = parsed;
    } catch {
      // missing or unreadable: start fresh
    }
  }

  get(hash: string): DoneEntry | undefined {
    return Object.hasOwn(this.state.done, hash) ? this.state.done[hash] : undefined;
  }

  /**
   * Records a finished line and persists the state (temp file + rename). Writes run one at a
   * time; a failed write rejects only its own call, and the next one writes the whole state.
   */
  markDone(hash: string, entry: DoneEntry): Promise<void> {
    this.state.done[hash] = entry;
    const text = `${JSON.stringify(this.state, null, 1)}\n`;
    const write = this.chain
      .catch(() => undefined)
      .then(async () => {
        const tmp = `${this.path}.${randomHex(6)}.tmp`;
        try {
          const fh = await open(tmp, "wx", 0o644);
          try {
            await fh.writeFile(text);
          } finally {
            await fh.close();
          }
          await rename(tmp, this.path);
        } catch (e) {
          await unlink(tmp).catch(() => undefined);
          throw e;
        }
      });
    this.chain = write;
    return write;
  }
}
