import { useEffect, useRef } from "hono/jsx/dom";
import type { Session } from "./api.ts";
import { SignInForm } from "./pages/signin.tsx";

/**
 * Shown over the page when a request finds the session over (expired, token revoked or rotated):
 * why, and the token form. The page stays underneath as it was (prompt, images, mask, results),
 * so signing in again carries on from there. Escape closes it; the next refused request opens it
 * again.
 */
export function SessionEnded({
  reason,
  onSignedIn,
  onClose,
}: {
  reason: string;
  onSignedIn: (s: Session) => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement | null>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="full ended" aria-labelledby="ended-title" onClose={onClose}>
      <h2 id="ended-title">Sign in again</h2>
      <p role="alert">{reason}</p>
      <p>What is on this page is kept: sign in to carry on from where you were.</p>
      <SignInForm onSignedIn={onSignedIn} />
    </dialog>
  );
}
