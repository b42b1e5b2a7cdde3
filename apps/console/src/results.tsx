import { useLayoutEffect, useRef, useState } from "hono/jsx/dom";
import { api, type HistoryEntry } from "./api.ts";
import { copy, liveLink } from "./links.ts";
import type { Preview } from "./run.ts";

/** One output slot: its partial preview, then the final image with its actions. */
export interface Slot {
  preview: Preview | null;
  final: string | null;
  /** signed link to the stored original, once known */
  link: string | null;
  /** the history entry holding it, for a fresh link once that one runs out */
  job: string | null;
  partials: number;
}

/**
 * The entry of the images just made and their signed links, by output index: the caller's newest
 * entry created since `since` (unix seconds) with at least `n` images. The Worker settles a
 * request's row just after its answer, so this asks a few times (bounded) before giving up.
 */
export async function newestLinks(since: number, n: number): Promise<{ job: string; links: (string | null)[] } | null> {
  for (let i = 0; i < 10; i++) {
    const r = await api<{ data: HistoryEntry[] }>("/console/api/history?limit=1");
    const e = r.data[0];
    if (e && e.created_at >= since && e.images.length >= n) {
      // by output index: a run that failed part way stored only some of its outputs
      const links: (string | null)[] = [];
      for (const img of e.images) links[img.index] = img.url;
      return { job: e.id, links };
    }
    await new Promise((ok) => setTimeout(ok, 300));
  }
  return null;
}

export function Results({
  slots,
  format,
  onAgain,
  label,
  busy,
}: {
  slots: Slot[];
  /** whether the run is still going: a slot nothing reached is then still coming, else not made */
  busy: boolean;
  format: string;
  onAgain: () => void;
  label: string;
}) {
  const [copied, setCopied] = useState("");
  if (!slots.length) return null;
  const done = slots.every((s) => s.final);
  return (
    <section class="results" aria-label={label}>
      <ul class="grid">
        {slots.map((s, i) => (
          <li>
            <figure>
              {!s.final && s.preview && typeof s.preview !== "string" ? (
                <PartialCanvas
                  bitmap={s.preview}
                  label={`Result ${i + 1}, partial image ${s.partials}`}
                  partials={s.partials}
                />
              ) : s.final || s.preview ? (
                <img
                  src={s.final ?? (s.preview as string)}
                  alt={s.final ? `Result ${i + 1}` : `Result ${i + 1}, partial image ${s.partials}`}
                  class={s.final ? "final" : "partial"}
                  // Element Timing: when the image was painted (the console benchmark reads it)
                  elementtiming={s.final ? "result-final" : "result-partial"}
                  data-partials={s.partials}
                />
              ) : (
                <div class="placeholder">{busy ? "Working…" : "Not made"}</div>
              )}
              {s.final && (
                <figcaption class="actions">
                  <a href={s.final} download={`gptimg-${i + 1}.${format === "jpeg" ? "jpg" : format}`} class="button">
                    Download
                  </a>
                  <button
                    type="button"
                    disabled={!s.link || !s.job}
                    onClick={async () => {
                      if (!s.job || !s.link) return;
                      // a result kept on screen past its link's lifetime copies a freshly signed one
                      setCopied((await copy(liveLink(s.job, i, s.link))) ? `Link ${i + 1} copied` : "Copy failed");
                    }}
                  >
                    Copy link
                  </button>
                </figcaption>
              )}
            </figure>
          </li>
        ))}
      </ul>
      {done && (
        <button type="button" onClick={onAgain}>
          Again with these settings
        </button>
      )}
      <p class="sr-status" role="status">
        {copied}
      </p>
    </section>
  );
}

/**
 * A partial image's pixels drawn into a canvas at its shown size, then the bitmap is closed. Its
 * size is set here only, never from the bitmap in the markup: a closed bitmap is 0x0, and a
 * re-render (another slot's partial arriving) would set the canvas to that and blank it. Its
 * accessible name is the one the <img> would have.
 */
function PartialCanvas({ bitmap, label, partials }: { bitmap: ImageBitmap; label: string; partials: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const w = Math.max(1, Math.round(c.clientWidth * devicePixelRatio));
    c.width = w;
    c.height = Math.max(1, Math.round((w * bitmap.height) / bitmap.width));
    c.getContext("2d")?.drawImage(bitmap, 0, 0, c.width, c.height);
    bitmap.close();
  }, [bitmap]);
  return <canvas ref={canvas} class="partial" role="img" aria-label={label} data-partials={partials} />;
}
