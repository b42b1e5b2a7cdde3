import { useEffect, useState } from "hono/jsx/dom";
import { api, explain, type Session, type UsageRow } from "../api.ts";
import { DataTable } from "../table.tsx";

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Every UTC day from `from` to `to`, inclusive. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`);
    t <= end && out.length < 400;
    t += 86400000
  )
    out.push(day(new Date(t)));
  return out;
}

const usd = (v: number) => `$${v.toFixed(4)}`;

/** Images per day as an SVG bar chart, with the figures in its accessible name. */
function Chart({ rows, from, to }: { rows: UsageRow[]; from: string; to: string }) {
  const all = days(from, to);
  const per = new Map<string, number>();
  for (const r of rows) if (r.day) per.set(r.day, (per.get(r.day) ?? 0) + r.images);
  const max = Math.max(1, ...per.values());
  const w = 10;
  const h = 120;
  const total = [...per.values()].reduce((a, b) => a + b, 0);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${all.length * w} ${h + 2}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Images per day, ${from} to ${to}: ${total} in all, at most ${max === 1 && total === 0 ? 0 : max} on one day`}
      >
        {all.map((d, i) => {
          const v = per.get(d) ?? 0;
          const bh = (v / max) * h;
          return (
            <rect x={i * w + 1} y={h - bh} width={w - 2} height={Math.max(bh, v ? 1 : 0)} class="bar">
              <title>{`${d}: ${v} image${v === 1 ? "" : "s"}`}</title>
            </rect>
          );
        })}
        <line x1={0} y1={h + 1} x2={all.length * w} y2={h + 1} class="axis" />
      </svg>
      <figcaption>
        Images per day, {from} to {to} (UTC)
      </figcaption>
    </figure>
  );
}

/** Usage: images and cost per day for a member; per member and model (and a chart) for an admin. */
export function UsagePage({ session }: { session: Session }) {
  const admin = session.role === "admin";
  const today = day(new Date());
  const [from, setFrom] = useState(day(new Date(Date.now() - 29 * 86400000)));
  const [to, setTo] = useState(today);
  const [team, setTeam] = useState("");
  const [daily, setDaily] = useState<UsageRow[]>([]);
  const [totals, setTotals] = useState<UsageRow[]>([]);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const qs = new URLSearchParams({ from, to });
    if (admin && team) qs.set("team", team);
    const base = admin ? "/admin/usage" : "/v1/usage";
    setError("");
    Promise.all([
      api<{ rows: UsageRow[] }>(`${base}?${qs}&group_by=day`),
      api<{ rows: UsageRow[] }>(`${base}?${qs}`),
    ]).then(
      ([d, t]) => {
        setDaily(d.rows);
        setTotals(t.rows);
      },
      (e) => setError(explain(e)),
    );
  }, [tick]);

  const images = totals.reduce((a, r) => a + r.images, 0);
  const cost = totals.reduce((a, r) => a + r.cost_usd, 0);
  const perDay = new Map<string, { images: number; cost: number }>();
  for (const r of daily) {
    const d = perDay.get(r.day ?? "") ?? { images: 0, cost: 0 };
    perDay.set(r.day ?? "", { images: d.images + r.images, cost: d.cost + r.cost_usd });
  }

  return (
    <section>
      <form
        class="filters"
        aria-label="Usage period"
        onSubmit={(e: Event) => {
          e.preventDefault();
          setTick(tick + 1);
        }}
      >
        <div class="field">
          <label for="u-from">From</label>
          <input
            id="u-from"
            type="date"
            value={from}
            onInput={(e: Event) => setFrom((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="u-to">To</label>
          <input id="u-to" type="date" value={to} onInput={(e: Event) => setTo((e.target as HTMLInputElement).value)} />
        </div>
        {admin && (
          <div class="field">
            <label for="u-team">Team</label>
            <input
              id="u-team"
              value={team}
              placeholder="every team"
              onInput={(e: Event) => setTeam((e.target as HTMLInputElement).value)}
            />
          </div>
        )}
        <button type="submit">Show usage</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p class="summary" aria-live="polite">
        <strong data-testid="usage-images">{images}</strong> image{images === 1 ? "" : "s"},{" "}
        <strong>{usd(cost)}</strong> from {from} to {to}
      </p>
      <Chart rows={daily} from={from} to={to} />
      {admin ? (
        <DataTable
          caption="Per member and model (the figures of /admin/usage)"
          columns={["Team", "Member", "Model", "Images", "Cost"].map((label) => ({ label }))}
          rows={totals}
          cells={(r) => [r.team, r.member, r.model, r.images, usd(r.cost_usd)]}
        />
      ) : (
        <DataTable
          caption="Per day"
          columns={["Day", "Images", "Cost"].map((label) => ({ label }))}
          rows={[...perDay.entries()].sort((a, b) => b[0].localeCompare(a[0]))}
          cells={([d, v]) => [d, v.images, usd(v.cost)]}
        />
      )}
    </section>
  );
}
