import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extensionFor, networkErrorDetail, readAtMost, shownUrl, sniffFormat } from "@gptimg/core";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { decodeImageDataUrl } from "../run/inputs.ts";

/** Edit inputs in total, as core allows (checked again from the bytes). */
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * An https URL (or http on this machine's loopback, for local servers), else undefined for a
 * path. Other schemes are refused rather than read as relative paths.
 */
export function inputUrl(value: string, field: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${field} ${shownUrl(value)}: not a valid URL`);
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname))) return url;
  throw usageError(`${field} ${url.protocol}//${url.host}: must be an https URL or a file path`);
}

export interface FetchedInputs {
  /** paths for the edit: given paths as they are, downloads in a temp directory */
  images: string[];
  mask: string | undefined;
  cleanup(): Promise<void>;
}

/**
 * Decodes data URLs (and downloads a mask URL), 50 MB in total, into a private temp directory so
 * the edit reads them as files; paths, image URLs and `auto` pass through to the edit, which
 * sends https URLs by reference or downloads them as `gptimg edit -i URL` does. `cleanup`
 * removes what was written.
 */
export async function fetchInputs(
  images: string[],
  mask: string | undefined,
  signal: AbortSignal,
): Promise<FetchedInputs> {
  let dir: string | undefined;
  let budget = MAX_TOTAL_BYTES;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const save = async (bytes: Uint8Array, field: string, i: number): Promise<string> => {
    dir ??= await mkdtemp(join(tmpdir(), "gptimg-mcp-"));
    const format = sniffFormat(bytes);
    const path = join(dir, `${field.replace(/\W+/g, "-")}-${i}.${format ? extensionFor(format) : "bin"}`);
    await writeFile(path, bytes, { mode: 0o600 });
    return path;
  };
  const one = async (value: string, field: string, i: number): Promise<string> => {
    if (/^data:/i.test(value)) {
      const bytes = decodeImageDataUrl(value, field);
      if (bytes.byteLength > budget)
        throw usageError(`${field}: the inputs pass 50 MB in total, the most an edit takes`);
      budget -= bytes.byteLength;
      return save(bytes, field, i);
    }
    const url = inputUrl(value, field);
    if (!url) return value;
    // an image URL goes on as the CLI's own -i takes it: by reference where the provider takes
    // the spec's JSON edit form, else downloaded there (one path for `gptimg edit` and the tool)
    if (field !== "mask") return url.href;
    let res: Response;
    try {
      res = await fetch(url, { signal, redirect: "follow" });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new CliError("network", `${field} ${shownUrl(url)}: could not download (${networkErrorDetail(e)})`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new CliError("io", `${field} ${shownUrl(url)}: HTTP ${res.status}`, { exitCode: EXIT.usage });
    }
    const bytes = await readAtMost(res.body, budget);
    if (bytes === null) throw usageError(`${field}: the inputs pass 50 MB in total, the most an edit takes`);
    budget -= bytes.byteLength;
    return save(bytes, field, i);
  };
  try {
    const paths: string[] = [];
    for (const [i, v] of images.entries()) paths.push(await one(v, `images[${i}]`, i));
    const maskPath = mask === undefined || mask === "auto" ? mask : await one(mask, "mask", 0);
    return { images: paths, mask: maskPath, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
