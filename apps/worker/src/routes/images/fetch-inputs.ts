import { decodeDataUrl, readAtMost, shownUrl, shownUrls, ValidationError } from "@gptimg/core";
import { isPrivateHost } from "../../jobs/private-host.ts";

/** Edit inputs in total, as `/v1/images/edits` takes them. */
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;

/**
 * How long a request's image downloads may take together, first request to last byte: a host
 * that answers slowly or stalls would otherwise hold the caller's request open until the caller
 * gives up. 30 s moves 50 MB at under 2 MB/s.
 */
export const DOWNLOAD_LIMIT_MS = 30_000;

const refuse = (field: string, value: string, rule: string): never => {
  throw new ValidationError([{ field, value: value.length > 80 ? `${value.slice(0, 77)}...` : value, rule }]);
};

/**
 * Edit inputs given by URL, to the gateway's tools or in the spec's JSON edit form: an https URL
 * on a public host (downloaded here, 50 MB in total, no redirect to elsewhere) or a
 * `data:image/…` URL. The gateway cannot read a caller's files, so a path is refused with what to
 * send instead. `auto` masks pass through. `suffix` ends each field's name (`.image_url` for the
 * JSON form: `images[1].image_url`). The downloads end within `downloadMs` together, or the one
 * under way is a 400 naming its field. A URL is named without its query, fragment and userinfo
 * (a presigned URL's signature is there).
 */
export async function fetchInputs(
  images: string[],
  mask: string | undefined,
  signal: AbortSignal,
  { suffix = "", downloadMs = DOWNLOAD_LIMIT_MS }: { suffix?: string; downloadMs?: number } = {},
): Promise<{ images: Blob[]; mask: Blob | undefined }> {
  let budget = MAX_TOTAL_BYTES;
  // started by the first download, so data URLs alone never arm a timer
  let deadline: AbortSignal | undefined;
  const tooSlow = (field: string, url: URL): never =>
    refuse(field, shownUrl(url), `did not finish downloading within ${downloadMs / 1000} s`);
  const one = async (value: string, field: string): Promise<Blob> => {
    if (/^data:/i.test(value)) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = decodeDataUrl(value, field);
      } catch (e) {
        refuse(field, value, (e as Error).message);
      }
      if (!bytes) return refuse(field, value, "a data URL must hold an image (data:image/png;base64,…)");
      if (bytes.byteLength > budget) refuse(field, "(data URL)", "the inputs pass 50 MB in total");
      budget -= bytes.byteLength;
      return new Blob([bytes]);
    }
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // not a URL: a path on the caller's machine
    }
    if (!url)
      return refuse(field, shownUrl(value), "must be an https URL or a data URL: this server cannot read your files");
    if (url.protocol !== "https:" || isPrivateHost(url.hostname))
      return refuse(field, `${url.protocol}//${url.host}`, "must be an https URL on a public host, or a data URL");
    // workerd has no redirect: "error"; "manual" hands the 3xx back, refused below, so a public
    // URL cannot bounce the fetch to a host the guard would refuse
    deadline ??= AbortSignal.timeout(downloadMs);
    const either = AbortSignal.any([signal, deadline]);
    const res = await fetch(url, { signal: either, redirect: "manual" }).catch((e: unknown) => {
      if (signal.aborted) throw e;
      if (deadline?.aborted) return tooSlow(field, url);
      return refuse(field, shownUrl(url), `could not be downloaded (${shownUrls((e as Error).message)})`);
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      return refuse(
        field,
        shownUrl(url),
        `redirects are not followed (HTTP ${res.status}): give the image's final https URL`,
      );
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return refuse(field, shownUrl(url), `the download answered HTTP ${res.status}`);
    }
    const bytes = await readAtMost(res.body, budget, either).catch((e: unknown) => {
      if (signal.aborted || !deadline?.aborted) throw e;
      return tooSlow(field, url);
    });
    if (bytes === null) return refuse(field, shownUrl(url), "the inputs pass 50 MB in total");
    budget -= bytes.byteLength;
    return new Blob([bytes]);
  };
  const blobs: Blob[] = [];
  for (const [i, v] of images.entries()) blobs.push(await one(v, `images[${i}]${suffix}`));
  return { images: blobs, mask: mask === undefined || mask === "auto" ? undefined : await one(mask, `mask${suffix}`) };
}
