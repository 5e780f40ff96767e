import { useState } from 'preact/hooks';
import { api, session } from '../api';
import { ErrorBox } from '../components/ErrorBox';

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.checkKey(key.trim());
      session.set(key.trim());
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit} data-testid="signin-form">
        <h1>
          <span class="logo" aria-hidden="true">◉</span> Visage
        </h1>
        <p class="muted">Sign in with an API key of your workspace. It is kept in this tab only and sent as the X-API-Key header.</p>
        {notice && <p class="notice">{notice}</p>}
        <label>
          API key
          <input
            type="password"
            name="api-key"
            autocomplete="off"
            placeholder="fr_live_…"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            required
            data-testid="api-key"
          />
        </label>
        <ErrorBox error={error} compact />
        <button type="submit" class="primary" disabled={busy || !key.trim()} data-testid="signin">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
