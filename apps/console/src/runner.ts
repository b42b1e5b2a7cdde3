import { useRef, useState } from "hono/jsx/dom";
import { explain } from "./api.ts";
import { newestLinks, type Slot } from "./results.tsx";
import { runImages } from "./run.ts";

/** State of one generate/edit run on a page: slots filling in, a status line, an error. */
export function useRunner() {
  const [slots, setSlots] = useState<Slot[]>([]);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  const start = async (fields: Record<string, string | number>, files: File[] | null, mask: Blob | null) => {
    const n = Number(fields.n ?? 1);
    let current: Slot[] = Array.from({ length: n }, () => ({ preview: null, final: null, link: null, partials: 0 }));
    const update = (i: number, f: (s: Slot) => Slot) => {
      current = current.map((s, j) => (j === i ? f(s) : s));
      setSlots(current);
    };
    setSlots(current);
    setError("");
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
          completed: (i, blob) => update(i, (s) => ({ ...s, final: URL.createObjectURL(blob) })),
          firstEvent: (ms) => {
            (window as unknown as { __gptimgFirstEventMs?: number }).__gptimgFirstEventMs = ms;
          },
        },
        abort.current.signal,
      );
      setStatus(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
      const links = await newestLinks(since, n).catch(() => []);
      current = current.map((s, i) => ({ ...s, link: links[i] ?? null }));
      setSlots(current);
    } catch (e) {
      setStatus("");
      setError(explain(e));
    } finally {
      setBusy(false);
      abort.current = null;
    }
  };
  const cancel = () => abort.current?.abort();
  return { slots, status, error, busy, start, cancel };
}
