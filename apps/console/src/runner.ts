import { useEffect, useRef, useState } from "hono/jsx/dom";
import { ApiError, explain } from "./api.ts";
import { type Invalid, invalidOf } from "./invalid.tsx";
import { newestLinks, type Slot } from "./results.tsx";
import { runImages } from "./run.ts";

/** The object URLs a slot holds: a fallback partial preview's and the final image's. */
const urlsOf = (s: Slot): string[] =>
  [typeof s.preview === "string" ? s.preview : null, s.final].filter((u) => u !== null);

/**
 * Lets go of the object URLs `before` held that `after` no longer shows. Each holds its image's
 * bytes (1-11 MB for a final image) until revoked, so a console open all day would otherwise
 * keep every image it made; an <img> already showing one keeps its pixels.
 */
function release(before: Slot[], after: Slot[]): void {
  const kept = new Set(after.flatMap(urlsOf));
  for (const url of before.flatMap(urlsOf)) if (!kept.has(url)) URL.revokeObjectURL(url);
}

/**
 * Said when Cancel stops a run. The Worker finishes a run whose answer had begun (the provider may
 * be billing it already) and keeps its images, so they are not gone for good.
 */
const CANCELLED =
  "Cancelled. An image the provider had already started may still be made (and billed): it then shows in History.";

/** Said with a failure after images had arrived: they are kept, and the provider began on them. */
const SHOWN_BILLED = "The images shown so far stay here: the provider may have billed them, partial images included.";

/** State of one generate/edit run on a page: slots filling in, a status line, an error. */
export function useRunner() {
  const [slots, setSlots] = useState<Slot[]>([]);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  /** the field a 400 named, to mark beside its control */
  const [invalid, setInvalid] = useState<Invalid | null>(null);
  const abort = useRef<AbortController | null>(null);
  /** the slots on screen, for releasing what they hold when replaced or when the page goes */
  const shown = useRef<Slot[]>([]);
  /** the latest run: an earlier one's late links must not overwrite its slots */
  const latest = useRef(0);
  useEffect(() => () => release(shown.current, []), []);

  const start = async (fields: Record<string, string | number>, files: File[] | null, mask: Blob | null) => {
    const run = ++latest.current;
    const n = Number(fields.n ?? 1);
    let current: Slot[] = Array.from({ length: n }, () => ({
      preview: null,
      final: null,
      link: null,
      job: null,
      partials: 0,
    }));
    const show = (next: Slot[]) => {
      release(shown.current, next);
      shown.current = next;
      setSlots(next);
    };
    const update = (i: number, f: (s: Slot) => Slot) => {
      current = current.map((s, j) => (j === i ? f(s) : s));
      show(current);
    };
    show(current);
    setError("");
    setInvalid(null);
    setBusy(true);
    setStatus("Working: partial images appear as they arrive…");
    abort.current = new AbortController();
    const t0 = performance.now();
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      await runImages(
        fields,
        files,
        mask,
        {
          partial: (i, preview) => update(i, (s) => ({ ...s, preview, partials: s.partials + 1 })),
          completed: (i, blob) => update(i, (s) => ({ ...s, preview: null, final: URL.createObjectURL(blob) })),
          firstEvent: (ms) => {
            (window as unknown as { __gptimgFirstEventMs?: number }).__gptimgFirstEventMs = ms;
          },
        },
        abort.current.signal,
      );
      setStatus(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
    } catch (e) {
      // what arrived stays on screen
      if (abort.current?.signal.aborted) setStatus(CANCELLED);
      else {
        setStatus("");
        const shown = current.some((s) => s.preview !== null || s.final !== null);
        setError(explain(e, shown ? SHOWN_BILLED : undefined));
        if (e instanceof ApiError && e.status === 400 && e.param) setInvalid(invalidOf(e.param, e.message));
      }
    } finally {
      setBusy(false);
      abort.current = null;
    }
    // the images made are stored (a failed run's too): links to them, for Copy link
    const made = current.filter((s) => s.final !== null).length;
    if (made) {
      const entry = await newestLinks(since, made).catch(() => null);
      if (run !== latest.current) return;
      current = current.map((s, i) => ({ ...s, link: entry?.links[i] ?? null, job: entry?.job ?? null }));
      show(current);
    }
  };
  const cancel = () => abort.current?.abort();
  return { slots, status, error, invalid, busy, start, cancel };
}
