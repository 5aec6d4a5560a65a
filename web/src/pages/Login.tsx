import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { login } from '../session';

/** Takes the API key once and starts a cookie session; the key is not kept anywhere. */
export function LoginPage() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('apiKey') as HTMLInputElement;
    setBusy(true);
    setError(null);
    try {
      await login(input.value);
      input.value = '';
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="card login-form" data-testid="login-form" onSubmit={(e) => void submit(e)}>
        <h1>SoulSpot</h1>
        <label for="apiKey">API key</label>
        <input
          id="apiKey"
          name="apiKey"
          type="password"
          autocomplete="current-password"
          required
          autofocus
        />
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
        <p class="muted small">
          The key is in SoulSpot's config file or the SOULSPOT_API_KEY environment variable.
        </p>
      </form>
    </main>
  );
}
