import { useEffect, useState } from "hono/jsx/dom";
import { api, explain, type TokenView } from "../api.ts";
import { copy } from "../links.ts";
import { DataTable } from "../table.tsx";

const date = (t: number | null) => (t === null ? "never" : new Date(t * 1000).toISOString().slice(0, 10));

const optionalInt = (form: FormData, k: string): number | undefined => {
  const v = String(form.get(k) ?? "").trim();
  return v === "" ? undefined : Number(v);
};

/** Admin: create member tokens (the secret shown once), list, filter and revoke them. */
export function AdminPage() {
  const [tokens, setTokens] = useState<TokenView[]>([]);
  const [created, setCreated] = useState<TokenView | null>(null);
  const [error, setError] = useState("");
  const [listError, setListError] = useState("");
  const [filter, setFilter] = useState("");
  const [showRevoked, setShowRevoked] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [note, setNote] = useState("");

  const load = () =>
    api<{ data: TokenView[] }>("/admin/tokens").then(
      (r) => setTokens(r.data),
      (e) => setListError(explain(e)),
    );
  useEffect(() => {
    void load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const f = new FormData(formEl);
    const models = String(f.get("models") ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean);
    const body = {
      team: String(f.get("team") ?? "").trim(),
      member: String(f.get("member") ?? "").trim(),
      ...(optionalInt(f, "expires_in_days") !== undefined
        ? { expires_in_days: optionalInt(f, "expires_in_days") }
        : {}),
      ...(models.length ? { models } : {}),
      ...(optionalInt(f, "daily_image_quota") !== undefined
        ? { daily_image_quota: optionalInt(f, "daily_image_quota") }
        : {}),
      ...(optionalInt(f, "rpm") !== undefined ? { rpm: optionalInt(f, "rpm") } : {}),
    };
    setError("");
    try {
      const t = await api<TokenView>("/admin/tokens", { method: "POST", body });
      setCreated(t);
      formEl.reset();
      void load();
    } catch (err) {
      setError(explain(err));
    }
  };

  const revoke = async (id: string) => {
    try {
      await api(`/admin/tokens/${encodeURIComponent(id)}`, { method: "DELETE" });
      setConfirming(null);
      setNote(`Token ${id} revoked`);
      void load();
    } catch (err) {
      setListError(explain(err));
    }
  };

  const needle = filter.trim().toLowerCase();
  const shown = tokens.filter(
    (t) =>
      (showRevoked || t.revoked_at === null) &&
      (!needle || `${t.team} ${t.member} ${t.id}`.toLowerCase().includes(needle)),
  );

  return (
    <section>
      <form class="create" onSubmit={create} aria-label="Create a token">
        <h2>Create a token</h2>
        <div class="field">
          <label for="a-team">Team</label>
          <input id="a-team" name="team" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="a-member">Member</label>
          <input id="a-member" name="member" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="a-expiry">Expires in days</label>
          <input id="a-expiry" name="expires_in_days" type="number" min={1} max={3650} placeholder="never" />
        </div>
        <div class="field">
          <label for="a-models">Models</label>
          <input id="a-models" name="models" placeholder="every model (or a comma-separated list)" />
        </div>
        <div class="field">
          <label for="a-quota">Daily image quota</label>
          <input id="a-quota" name="daily_image_quota" type="number" min={1} placeholder="unlimited" />
        </div>
        <div class="field">
          <label for="a-rpm">Requests per minute</label>
          <input id="a-rpm" name="rpm" type="number" min={1} placeholder="unlimited" />
        </div>
        <button type="submit" class="primary">
          Create token
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
      {created?.token && (
        <section class="secret" aria-label="Token created">
          <p>
            Token for {created.member} ({created.team}). <strong>It is shown only now:</strong> copy it and hand it
            over; it cannot be shown again.
          </p>
          <label for="a-secret">New token</label>
          <input id="a-secret" readonly value={created.token} />
          <button
            type="button"
            onClick={async () =>
              setNote((await copy(created.token ?? "")) ? "Token copied" : "Copy failed: select it and copy")
            }
          >
            Copy token
          </button>
          <button type="button" class="ghost" onClick={() => setCreated(null)}>
            Done
          </button>
        </section>
      )}
      <h2>Tokens</h2>
      <div class="filters">
        <div class="field grow">
          <label for="a-filter">Filter tokens</label>
          <input
            id="a-filter"
            type="search"
            value={filter}
            onInput={(e: Event) => setFilter((e.target as HTMLInputElement).value)}
          />
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={showRevoked}
            onChange={(e: Event) => setShowRevoked((e.target as HTMLInputElement).checked)}
          />
          Show revoked
        </label>
      </div>
      {listError && (
        <p role="alert" class="error">
          {listError}
        </p>
      )}
      <p role="status" class="sr-status">
        {note}
      </p>
      <DataTable
        caption="Tokens"
        columns={[
          ...["Team", "Member", "Models", "Quota", "RPM", "Expires", "State"].map((label) => ({ label })),
          { label: "Actions", hidden: true },
        ]}
        rows={shown}
        rowAttrs={(t) => ({ "data-token-id": t.id })}
        cells={(t) => [
          t.team,
          t.member,
          t.models?.join(", ") ?? "all",
          t.daily_image_quota ?? "∞",
          t.rpm ?? "∞",
          date(t.expires_at),
          t.revoked_at === null ? "active" : `revoked ${date(t.revoked_at)}`,
          t.revoked_at === null &&
            (confirming === t.id ? (
              <>
                <button type="button" class="danger" onClick={() => revoke(t.id)}>
                  Confirm revoke {t.member}
                </button>
                <button type="button" class="ghost" onClick={() => setConfirming(null)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" onClick={() => setConfirming(t.id)} aria-label={`Revoke ${t.member} (${t.team})`}>
                Revoke
              </button>
            )),
        ]}
      />
    </section>
  );
}
