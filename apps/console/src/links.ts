/** Signed links to stored images: whether one has run out, and fresh ones when it has. */
import { api } from "./api.ts";

/**
 * Whether a signed link has run out, or will within a minute (time to open, look, copy or
 * download): its `exp` is unix seconds. Links last SIGNED_URL_TTL_SECONDS (an hour by default),
 * and a page can stay open longer than that.
 */
export function expired(url: string | null): boolean {
  const exp = url === null ? null : new URL(url, location.href).searchParams.get("exp");
  return exp !== null && Number(exp) - 60 < Date.now() / 1000;
}

/**
 * Freshly signed links to the images of history entry `id`, by output index: `GET /v1/jobs/{id}`
 * signs them anew on every call (a synchronous request's row is a job too).
 */
export async function jobLinks(id: string): Promise<(string | null)[]> {
  const job = await api<{ images: { index: number; url: string | null }[] }>(`/v1/jobs/${encodeURIComponent(id)}`);
  const links: (string | null)[] = [];
  for (const img of job.images) links[img.index] = img.url;
  return links;
}

/**
 * Link `url` to image `index` of entry `id`, or a freshly signed one when it has run out;
 * `renewed` then gets all of the entry's fresh links.
 */
export async function liveLink(
  id: string,
  index: number,
  url: string,
  renewed?: (links: (string | null)[]) => void,
): Promise<string> {
  if (!expired(url)) return url;
  const links = await jobLinks(id);
  renewed?.(links);
  const fresh = links[index];
  if (!fresh) throw new Error(`image ${index + 1} of ${id} has no link`);
  return fresh;
}

/**
 * Copies text to the clipboard; says whether it worked. Text still being fetched (a fresh link)
 * goes in as a ClipboardItem made within the click, as Safari allows a write only there.
 */
export async function copy(text: string | Promise<string>): Promise<boolean> {
  try {
    if (typeof text === "string") await navigator.clipboard.writeText(text);
    else if (typeof ClipboardItem === "function")
      await navigator.clipboard.write([
        new ClipboardItem({ "text/plain": text.then((t) => new Blob([t], { type: "text/plain" })) }),
      ]);
    else await navigator.clipboard.writeText(await text);
    return true;
  } catch {
    return false;
  }
}
