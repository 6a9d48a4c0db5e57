// Sign in with an API key. The key goes to the server once; what comes back is an HttpOnly
// session cookie, so the key is not kept anywhere the page's scripts can read it later.

import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { signIn, type Session } from "../session";

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!key.trim()) return setError("Paste your API key.");
    setBusy(true);
    setError("");
    try {
      const session = await signIn(key.trim());
      setKey("");
      onSignedIn(session);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? "This API key is unknown or was revoked. Check it and try again."
          : (e as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} noValidate>
        <div class="brand brand-large">
          <img src="/dashboard/favicon.svg" alt="" width={32} height={32} />
          <h1>Smart Links</h1>
        </div>
        <p class="muted">Sign in with an API key of your account.</p>
        <label class="field">
          <span class="label">API key</span>
          <input
            type="password"
            name="key"
            autoComplete="off"
            spellcheck={false}
            placeholder="sl_…"
            value={key}
            aria-invalid={error ? true : undefined}
            aria-describedby="key-help key-error"
            onInput={(e) => setKey(e.currentTarget.value)}
            autoFocus
          />
          {error && (
            <span id="key-error" class="field-error" role="alert">
              {error}
            </span>
          )}
          <span id="key-help" class="hint">
            <code>smartlinks up</code> prints the first key when it starts for the first time;{" "}
            <code>smartlinks tenant create NAME</code> prints a new account's key. More keys are made under
            Settings.
          </span>
        </label>
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
