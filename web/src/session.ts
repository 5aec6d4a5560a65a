/**
 * The browser session: `POST /api/session {apiKey}` answers 204 with an HttpOnly cookie, so the
 * key is held only by the login form's input for the moment of the request, never stored.
 */
import { signal } from '@preact/signals';
import { ApiError, api } from './api';
import { connectEvents, disconnectEvents, setStreamClosedHandler } from './events';

export type SessionState = 'unknown' | 'in' | 'out';

export const session = signal<SessionState>('unknown');

// The stream was refused: if the session is over, show the login page instead of retrying.
setStreamClosedHandler(() => {
  api.get('/api/session').catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) signedOut();
  });
});

/** At start: whether a session (or, in the dev server, the proxy's API key) lets us in. */
export async function checkSession(): Promise<void> {
  try {
    await api.get('/api/session');
    signIn();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      // A server without the session route: any authenticated call tells us the same thing.
      try {
        await api.get('/api/queue');
        signIn();
        return;
      } catch {
        /* fall through */
      }
    }
    session.value = 'out';
  }
}

function signIn(): void {
  session.value = 'in';
  connectEvents();
}

/** Throws the API's error (401 wrong key, 429 too many tries) for the form to show. */
export async function login(apiKey: string): Promise<void> {
  await api.send('POST', '/api/session', { apiKey });
  signIn();
}

export async function logout(): Promise<void> {
  try {
    await api.send('DELETE', '/api/session');
  } finally {
    signedOut();
  }
}

/** The session ended (logout, or a 401 from any call). */
export function signedOut(): void {
  disconnectEvents();
  session.value = 'out';
}
