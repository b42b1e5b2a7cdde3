import { useEffect, useRef, useState } from "hono/jsx/dom";
import { api, explain, type HistoryEntry, type Session } from "../api.ts";
import { copy, expired, liveLink } from "../links.ts";
import { reuse } from "../reuse.ts";
import type { Settings } from "../run.ts";

const PAGE = 48;

interface Filters {
  scope: "member" | "team";
  member: string;
  model: string;
  from: string;
  to: string;
  q: string;
}

const EMPTY: Filters = { scope: "member", member: "", model: "", from: "", to: "", q: "" };

const when = (t: number) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
const money = (v: number | null) => (v === null ? "unknown" : `$${v.toFixed(4)}`);
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

/** History: the member's or team's images, newest first, 48 thumbnails a page, with a full view. */
export function HistoryPage(_: { session: Session }) {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<{ data: HistoryEntry[]; next_cursor: string | null } | null>(null);
  const [error, setError] = useState("");
  const [open, setOpen] = useState<HistoryEntry | null>(null);
  const [note, setNote] = useState("");
  const dialog = useRef<HTMLDialogElement | null>(null);
  const pageNo = cursors.length;

  /** The page of history the filters and cursors point at, with freshly signed links. */
  const fetchPage = () => {
    const cursor = cursors[cursors.length - 1];
    const qs = new URLSearchParams({ limit: String(PAGE), scope: applied.scope });
    for (const k of ["member", "model", "from", "to", "q"] as const) if (applied[k]) qs.set(k, applied[k]);
    if (cursor) qs.set("cursor", cursor);
    return api<{ data: HistoryEntry[]; next_cursor: string | null }>(`/console/api/history?${qs}`);
  };

  useEffect(() => {
    setError("");
    fetchPage().then(setPage, (e) => setError(explain(e)));
  }, [applied, cursors]);

  /** Opens an entry; when its signed links have run out (the page was loaded long ago), with new ones. */
  const openEntry = async (e: HistoryEntry) => {
    if (!e.images.some((img) => expired(img.url))) return setOpen(e);
    try {
      const fresh = await fetchPage();
      setPage(fresh);
      setOpen(fresh.data.find((f) => f.id === e.id) ?? e);
    } catch (err) {
      setError(explain(err));
    }
  };

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const field = (k: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [k]: (e.target as HTMLInputElement).value });

  /**
   * The first image's link for Copy link: when it ran out while the item was open, a freshly
   * signed one, and the item's Download links are renewed with it.
   */
  const firstLink = async (e: HistoryEntry): Promise<string> => {
    const first = e.images[0];
    if (!first?.url) throw new Error("no link");
    return liveLink(e.id, first.index, first.url, (links) =>
      setOpen((o) =>
        o?.id === e.id ? { ...o, images: o.images.map((img) => ({ ...img, url: links[img.index] ?? img.url })) } : o,
      ),
    );
  };

  const reuseSettings = (e: HistoryEntry) => {
    const s = e.settings;
    const settings: Partial<Settings> = {
      prompt: e.prompt,
      model: e.model,
      size: String(s.size ?? e.requested_size ?? "auto"),
      ...(s.quality ? { quality: String(s.quality) } : {}),
      ...(s.output_format ? { output_format: String(s.output_format) } : {}),
      ...(s.output_compression !== undefined ? { output_compression: Number(s.output_compression) } : {}),
      ...(s.background ? { background: String(s.background) } : {}),
      ...(s.n ? { n: Number(s.n) } : {}),
    };
    setOpen(null);
    reuse(e.kind === "edit" ? "edit" : "generate", settings);
  };

  return (
    <section>
      <form
        class="filters"
        aria-label="Filter history"
        onSubmit={(e: Event) => {
          e.preventDefault();
          setApplied(filters);
          setCursors([null]);
        }}
      >
        <div class="field">
          <label for="h-scope">Show</label>
          <select id="h-scope" onChange={field("scope")}>
            <option value="member" selected={filters.scope === "member"}>
              My images
            </option>
            <option value="team" selected={filters.scope === "team"}>
              Team's images
            </option>
          </select>
        </div>
        <div class="field">
          <label for="h-member">Member</label>
          <input id="h-member" value={filters.member} disabled={filters.scope === "member"} onInput={field("member")} />
        </div>
        <div class="field">
          <label for="h-model">Model</label>
          <input id="h-model" value={filters.model} onInput={field("model")} />
        </div>
        <div class="field">
          <label for="h-from">From</label>
          <input id="h-from" type="date" value={filters.from} onInput={field("from")} />
        </div>
        <div class="field">
          <label for="h-to">To</label>
          <input id="h-to" type="date" value={filters.to} onInput={field("to")} />
        </div>
        <div class="field grow">
          <label for="h-q">Search prompts</label>
          <input id="h-q" type="search" value={filters.q} onInput={field("q")} />
        </div>
        <button type="submit">Apply filters</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {page && page.data.length === 0 && <p>No images match. Make one on the Generate page.</p>}
      {page && page.data.length > 0 && (
        <ul class="thumbs" aria-label={`History page ${pageNo}`}>
          {page.data.flatMap((e) =>
            e.images.map((img) => (
              <li>
                <button type="button" class="thumb" onClick={() => void openEntry(e)} aria-label={`Open: ${e.prompt}`}>
                  <img
                    src={img.thumbnail_url}
                    alt=""
                    loading="lazy"
                    width={img.width >= img.height ? 192 : Math.round((192 * img.width) / img.height)}
                    height={img.height >= img.width ? 192 : Math.round((192 * img.height) / img.width)}
                    onError={(e: Event) => (e.target as HTMLImageElement).classList.add("failed")}
                  />
                  <span class="no-preview" aria-hidden="true">
                    No preview
                  </span>
                </button>
              </li>
            )),
          )}
        </ul>
      )}
      <nav class="pager" aria-label="History pages">
        <button type="button" disabled={pageNo <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {pageNo}</span>
        <button
          type="button"
          disabled={!page?.next_cursor}
          onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}
        >
          Next page
        </button>
      </nav>
      <dialog ref={dialog} class="full" aria-label="Image details" onClose={() => setOpen(null)}>
        {open && (
          <article>
            <div class="full-images">
              {open.images.map((img) => (
                <img src={img.url ?? img.thumbnail_url} alt={`${open.prompt} (image ${img.index + 1})`} />
              ))}
            </div>
            <dl>
              <dt>Prompt</dt>
              <dd>{open.prompt}</dd>
              <dt>Made by</dt>
              <dd>
                {open.member}, {when(open.created_at)} UTC
              </dd>
              <dt>Model</dt>
              <dd>
                {open.model} ({open.kind})
              </dd>
              <dt>Size</dt>
              <dd>
                {open.images.map((i) => `${i.width}x${i.height} ${i.format}, ${mb(i.bytes)}`).join("; ")}
                {open.requested_size ? ` (asked ${open.requested_size})` : ""}
              </dd>
              <dt>Settings</dt>
              <dd>
                {Object.entries(open.settings)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(", ") || "defaults"}
              </dd>
              <dt>Cost</dt>
              <dd>{money(open.cost_usd)}</dd>
            </dl>
            <div class="row">
              {open.images.map((img) =>
                img.url ? (
                  <a class="button" href={img.url} download>
                    Download {open.images.length > 1 ? img.index + 1 : ""}
                  </a>
                ) : null,
              )}
              <button
                type="button"
                onClick={async () =>
                  setNote((await copy(firstLink(open))) ? "Link copied" : "Copy failed: copy it from Download")
                }
              >
                Copy link
              </button>
              <button type="button" onClick={() => reuseSettings(open)}>
                Reuse settings
              </button>
              <button type="button" class="ghost" onClick={() => setOpen(null)}>
                Close
              </button>
            </div>
            <p role="status" class="sr-status">
              {note}
            </p>
          </article>
        )}
      </dialog>
    </section>
  );
}
