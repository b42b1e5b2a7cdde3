import { useState } from "hono/jsx/dom";
import { api, explain, type Session } from "../api.ts";

/** The token form: the token goes to the server once and the field is cleared. */
export function SignInForm({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const input = form.elements.namedItem("token") as HTMLInputElement;
    setBusy(true);
    setError("");
    try {
      const session = await api<Session>("/console/api/session", { method: "POST", body: { token: input.value } });
      input.value = "";
      onSignedIn(session);
    } catch (err) {
      setError(explain(err));
      input.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="signin-form" onSubmit={submit}>
      <label for="token">Token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="off"
        spellcheck={false}
        required
        aria-describedby={error ? "signin-error" : undefined}
      />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <p id="signin-error" role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

/** Sign in with a member token or the admin token; the token goes to the server once. */
export function SignInPage({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  return (
    <main class="signin" id="main">
      <h1>gptimg console</h1>
      <p>Sign in with your member token (it starts with gpi_), or the admin token for the admin pages.</p>
      <SignInForm onSignedIn={onSignedIn} />
      <p class="hint">The token is exchanged for a session cookie; it is not kept in this browser.</p>
    </main>
  );
}
