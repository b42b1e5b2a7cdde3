import { decodeDataUrl, readAtMost, ValidationError } from "@gptimg/core";
import { isPrivateHost } from "../../jobs/private-host.ts";

/** Edit inputs in total, as `/v1/images/edits` takes them. */
const MAX_TOTAL_BYTES = 50 * 1024 * 1024;

const refuse = (field: string, value: string, rule: string): never => {
  throw new ValidationError([{ field, value: value.length > 80 ? `${value.slice(0, 77)}...` : value, rule }]);
};

/**
 * Edit inputs given by URL, to the gateway's tools or in the spec's JSON edit form: an https URL
 * on a public host (downloaded here, 50 MB in total, no redirect to elsewhere) or a
 * `data:image/…` URL. The gateway cannot read a caller's files, so a path is refused with what to
 * send instead. `auto` masks pass through. `suffix` ends each field's name (`.image_url` for the
 * JSON form: `images[1].image_url`).
 */
export async function fetchInputs(
  images: string[],
  mask: string | undefined,
  signal: AbortSignal,
  suffix = "",
): Promise<{ images: Blob[]; mask: Blob | undefined }> {
  let budget = MAX_TOTAL_BYTES;
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
    if (!url) return refuse(field, value, "must be an https URL or a data URL: this server cannot read your files");
    if (url.protocol !== "https:" || isPrivateHost(url.hostname))
      return refuse(field, `${url.protocol}//${url.host}`, "must be an https URL on a public host, or a data URL");
    // workerd has no redirect: "error"; "manual" hands the 3xx back, refused below, so a public
    // URL cannot bounce the fetch to a host the guard would refuse
    const res = await fetch(url, { signal, redirect: "manual" }).catch((e: unknown) => {
      if (signal.aborted) throw e;
      return refuse(field, url.href, `could not be downloaded (${(e as Error).message})`);
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      return refuse(
        field,
        url.href,
        `redirects are not followed (HTTP ${res.status}): give the image's final https URL`,
      );
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return refuse(field, url.href, `the download answered HTTP ${res.status}`);
    }
    const bytes = await readAtMost(res.body, budget);
    if (bytes === null) return refuse(field, url.href, "the inputs pass 50 MB in total");
    budget -= bytes.byteLength;
    return new Blob([bytes]);
  };
  const blobs: Blob[] = [];
  for (const [i, v] of images.entries()) blobs.push(await one(v, `images[${i}]${suffix}`));
  return { images: blobs, mask: mask === undefined || mask === "auto" ? undefined : await one(mask, `mask${suffix}`) };
}
