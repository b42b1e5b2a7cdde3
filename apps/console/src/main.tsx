import { render, useEffect, useState } from "hono/jsx/dom";
import { api, explain, type Session, setOnSignedOut } from "./api.ts";
import { AdminPage } from "./pages/admin.tsx";
import { EditPage } from "./pages/edit.tsx";
import { GeneratePage } from "./pages/generate.tsx";
import { HistoryPage } from "./pages/history.tsx";
import { SignInPage } from "./pages/signin.tsx";
import { UsagePage } from "./pages/usage.tsx";
import { takeReuse } from "./reuse.ts";
import { SessionEnded } from "./session-ended.tsx";

type Route = "generate" | "edit" | "history" | "usage" | "admin";
const MEMBER_ROUTES: Route[] = ["generate", "edit", "history", "usage"];
const ADMIN_ROUTES: Route[] = ["usage", "admin"];
const TITLES: Record<Route, string> = {
  generate: "Generate",
  edit: "Edit",
  history: "History",
  usage: "Usage",
  admin: "Admin",
};

/** Who a session is: signing in again as someone else starts the console afresh. */
const who = (s: Session) => `${s.role}:${s.team ?? ""}:${s.member ?? ""}`;

const routeOf = (): string => location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [route, setRoute] = useState(routeOf());
  const [error, setError] = useState("");
  /** why the session ended while the page was in use; empty while it is live */
  const [ended, setEnded] = useState("");

  useEffect(() => {
    setOnSignedOut(setEnded);
    api<Session>("/console/api/session").then(setSession, () => setSession(null));
    const onHash = () => setRoute(routeOf());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const routes = session?.role === "admin" ? ADMIN_ROUTES : MEMBER_ROUTES;
  const current: Route = (routes as string[]).includes(route) ? (route as Route) : (routes[0] as Route);

  useEffect(() => {
    if (session) document.title = `${TITLES[current]} · gptimg console`;
    const main = document.getElementById("main");
    if (main && session) main.focus();
  }, [current, session]);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <SignInPage onSignedIn={setSession} />;

  const signedInAgain = (next: Session) => {
    if (who(next) !== who(session)) {
      // another member or role: nothing of the last one's page is carried over
      location.reload();
      return;
    }
    setEnded("");
    setSession(next);
  };

  const signOut = async () => {
    try {
      await api("/console/api/session", { method: "DELETE" });
      setEnded("");
      setSession(null);
      location.hash = "";
    } catch (e) {
      setError(explain(e));
    }
  };

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">gptimg</span>
        <nav aria-label="Console">
          <ul>
            {routes.map((r) => (
              <li>
                <a href={`#/${r}`} aria-current={r === current ? "page" : undefined}>
                  {TITLES[r]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">{session.role === "admin" ? "admin" : `${session.member} · ${session.team}`}</span>
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <main id="main" tabindex={-1}>
        <h1>{TITLES[current]}</h1>
        {current === "generate" && <GeneratePage session={session} reuse={takeReuse("generate")} />}
        {current === "edit" && <EditPage session={session} reuse={takeReuse("edit")} />}
        {current === "history" && <HistoryPage session={session} />}
        {current === "usage" && <UsagePage session={session} />}
        {current === "admin" && <AdminPage />}
      </main>
      {ended && <SessionEnded reason={ended} onSignedIn={signedInAgain} onClose={() => setEnded("")} />}
    </div>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
