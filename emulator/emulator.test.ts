// The emulator's HTTP surface through real sockets: auth, application state, searches with slskd's
// timing quirks, conventions (415, empty 404s, case-insensitive routes) and the control endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './test-support.js';
import { A1, A2, alice, startHarness, TONE_C, waitFor } from './test-support.js';

let h: Harness;
afterEach(async () => h?.close());

interface SearchJson {
  id: string;
  state: string;
  isComplete: boolean;
  endedAt?: string;
  responseCount: number;
  fileCount: number;
  responses: {
    username: string;
    files: { filename: string; [k: string]: unknown }[];
    [k: string]: unknown;
  }[];
}

describe('auth', () => {
  it('answers 401 with an empty body without a key, and accepts the key or a session JWT', async () => {
    h = await startHarness();
    const bare = await fetch(`${h.emulator.url}/api/v0/application`);
    expect(bare.status).toBe(401);
    expect(await bare.text()).toBe('');
    expect(
      (await h.api('GET', '/application', undefined, { 'x-api-key': 'wrong-key-wrong-key' }))
        .status,
    ).toBe(401);
    expect((await h.api('GET', '/application')).status).toBe(200);

    const enabled = await fetch(`${h.emulator.url}/api/v0/session/enabled`);
    expect(await enabled.json()).toBe(true);
    const bad = await h.api(
      'POST',
      '/session',
      { username: 'slskd', password: 'nope' },
      { 'x-api-key': '' },
    );
    expect(bad.status).toBe(401);
    const login = await h.api(
      'POST',
      '/session',
      { Username: 'slskd', Password: 'slskd' },
      { 'x-api-key': '' },
    );
    expect(login.status).toBe(200);
    const session = login.json as {
      token: string;
      tokenType: string;
      expires: number;
      issued: number;
    };
    expect(session.tokenType).toBe('Bearer');
    expect(session.expires - session.issued).toBe(604_800);
    const withJwt = await fetch(`${h.emulator.url}/api/v0/session`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(withJwt.status).toBe(200);
    expect(await withJwt.text()).toBe('');

    // slskd's signing key is random per start, so a restart invalidates issued tokens.
    await h.emulator.restart();
    const after = await fetch(`${h.emulator.url}/api/v0/session`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(after.status).toBe(401);
  });
});

describe('application and conventions', () => {
  it('reports readiness from the login state and refuses searches when logged out', async () => {
    h = await startHarness();
    const app = (await h.api('GET', '/application')).json as {
      version: { current: string };
      server: { state: string; isConnected: boolean; isLoggedIn: boolean; address?: string };
    };
    expect(app.version.current).toBe('0.26.0');
    expect(app.server).toMatchObject({
      state: 'Connected, LoggedIn',
      isConnected: true,
      isLoggedIn: true,
    });
    expect((await h.api('GET', '/application/version')).text).toBe('"0.26.0"');

    h.emulator.setLoggedIn(false);
    const server = (await h.api('GET', '/server')).json as Record<string, unknown>;
    expect(server).toMatchObject({ state: 'Disconnected', isConnected: false, isLoggedIn: false });
    expect(server).not.toHaveProperty('address'); // null properties are omitted, not null
    const refused = await h.api('POST', '/searches', { searchText: 'sine waves' });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatch(/must be connected and logged in/);
    // A POST that fails after validation still leaves an errored search behind.
    const searches = (await h.api('GET', '/searches')).json as SearchJson[];
    expect(searches.map((s) => s.state)).toEqual(['Completed, Errored']);
  });

  it('follows ASP.NET conventions: 415, empty 404, case-insensitive routes, options, health', async () => {
    h = await startHarness();
    const text = await h.api('POST', '/searches', 'sine', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const missing = await h.api('GET', '/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('');
    expect((await h.api('GET', '/Transfers/DOWNLOADS')).status).toBe(200);
    const options = (await h.api('GET', '/options')).json as {
      directories: Record<string, string>;
    };
    expect(options.directories.downloads).toBe(h.downloadsDir);
    const health = await fetch(`${h.emulator.url}/health`);
    expect(await health.text()).toBe('Healthy');
    expect(h.emulator.requestCounts['GET /transfers/downloads']).toBe(1);
  });
});

describe('searches', () => {
  it('shows responses only once complete, with endedAt written after the Completed state', async () => {
    h = await startHarness({
      searchTimeoutCapMs: 300,
      // Long enough that the second POST arrives while the first is in flight, however loaded.
      searchPostMs: 250,
      users: [
        alice({ behaviour: { latencyMs: 30 } }),
        {
          username: 'bob',
          files: [{ remotePath: 'Music\\Sine Waves\\Tone C.mp3', localPath: TONE_C }],
          behaviour: { latencyMs: 60, queueLength: 3 },
        },
        {
          username: 'carl',
          files: [{ remotePath: 'Music\\Other\\Tone C.mp3', localPath: TONE_C }],
        },
        {
          username: 'dora',
          files: [{ remotePath: 'Music\\Sine Waves\\x.mp3', localPath: TONE_C }],
          behaviour: { offline: true },
        },
      ],
    });
    const id = '6f1c3a53-0000-4000-8000-00000000abcd';
    const [first, second] = await Promise.all([
      h.api('POST', '/searches', { id, searchText: 'Sine  waves -live a' }),
      h.api('POST', '/searches', { searchText: 'tone' }),
    ]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.json).toBe(
      'Only one concurrent operation is permitted. Wait until the previous request completes',
    );
    expect(first.json).toMatchObject({ id, state: 'InProgress', isComplete: false, responses: [] });

    /** Polls until endedAt; reports whether the Completed-before-endedAt window was observed. */
    const follow = async (searchId: string) => {
      let sawWindow = false;
      const search = await waitFor(
        async () => {
          const s = (await h.api('GET', `/searches/${searchId}?includeResponses=true`))
            .json as SearchJson;
          if (s.endedAt) return s;
          // Until endedAt, responses are never visible, even when the count says otherwise.
          expect(s.responses).toEqual([]);
          if (s.isComplete) sawWindow = true;
          return undefined;
        },
        3000,
        2,
      );
      return { search, sawWindow };
    };
    const { search: done, sawWindow } = await follow(id);
    // The window is ~40 ms; on a loaded machine one poll may straddle it, so try a few searches.
    let observed = sawWindow;
    for (let i = 0; i < 3 && !observed; i++) {
      const again = await h.api('POST', '/searches', { searchText: 'sine waves' });
      observed = (await follow((again.json as SearchJson).id)).sawWindow;
    }
    expect(observed).toBe(true);
    expect(done.state).toBe('Completed, TimedOut');
    expect(done.responseCount).toBe(2);
    expect(done.responses.map((r) => r.username).sort()).toEqual(['alice', 'bob']);
    const aliceFiles = done.responses.find((r) => r.username === 'alice')?.files ?? [];
    expect(aliceFiles.map((f) => f.filename)).toEqual([A1, A2]);
    expect(aliceFiles[0]).toMatchObject({
      code: 1,
      extension: '',
      isLocked: false,
      sampleRate: 22050,
      bitDepth: 16,
      length: 3,
      size: 28949,
    });
    const bob = done.responses.find((r) => r.username === 'bob');
    expect(bob).toMatchObject({
      queueLength: 3,
      hasFreeUploadSlot: true,
      uploadSpeed: 5_000_000,
      lockedFiles: [],
    });
    expect(bob?.files[0]).toMatchObject({
      bitRate: 320,
      sampleRate: 44100,
      isVariableBitRate: false,
    });
    const responses = await h.api('GET', `/searches/${id}/responses`);
    expect((responses.json as unknown[]).length).toBe(2);
  });

  it('applies filters and limits, and PUT cancels keeping responses', async () => {
    h = await startHarness({
      searchTimeoutCapMs: 2000,
      users: [
        alice({ behaviour: { latencyMs: 10, queueLength: 5 } }),
        {
          username: 'bob',
          files: [{ remotePath: 'Sine Waves\\Tone C.mp3', localPath: TONE_C }],
          behaviour: { latencyMs: 20, queueLength: 4 },
        },
      ],
    });
    // maximumPeerQueueLength is exclusive: queueLength 5 is dropped when the maximum is 5.
    await h.api('POST', '/searches', {
      id: '00000000-0000-4000-8000-000000000001',
      searchText: 'sine waves',
      maximumPeerQueueLength: 5,
      responseLimit: 1,
    });
    const limited = await waitFor(async () => {
      const s = (
        await h.api('GET', '/searches/00000000-0000-4000-8000-000000000001?includeResponses=true')
      ).json as SearchJson;
      return s.endedAt ? s : undefined;
    });
    expect(limited.state).toBe('Completed, ResponseLimitReached');
    expect(limited.responses.map((r) => r.username)).toEqual(['bob']);

    await h.api('POST', '/searches', {
      id: '00000000-0000-4000-8000-000000000002',
      searchText: 'sine waves',
    });
    await waitFor(
      async () =>
        ((await h.api('GET', '/searches/00000000-0000-4000-8000-000000000002')).json as SearchJson)
          .responseCount === 2,
    );
    expect((await h.api('PUT', '/searches/00000000-0000-4000-8000-000000000002')).status).toBe(200);
    const cancelled = await waitFor(async () => {
      const s = (await h.api('GET', '/searches/00000000-0000-4000-8000-000000000002/responses'))
        .json as unknown[];
      return s.length > 0 ? s : undefined;
    });
    expect(cancelled.length).toBe(2);
    const s = (await h.api('GET', '/searches/00000000-0000-4000-8000-000000000002'))
      .json as SearchJson;
    expect(s.state).toBe('Completed, Cancelled');
    expect((await h.api('DELETE', '/searches/00000000-0000-4000-8000-000000000002')).status).toBe(
      204,
    );
    expect((await h.api('GET', '/searches/00000000-0000-4000-8000-000000000002')).status).toBe(404);
    const noTerms = await h.api('POST', '/searches', { searchText: 'a -b' });
    expect(noTerms.status).toBe(400);
  });
});

describe('control endpoint', () => {
  it('changes behaviour and login from outside the process and reports state', async () => {
    h = await startHarness();
    const url = h.emulator.url;
    const patched = await fetch(`${url}/emulator/users/alice/behaviour`, {
      method: 'POST',
      body: JSON.stringify({ offline: true }),
    });
    expect(patched.status).toBe(200);
    const status = await h.api('GET', '/users/alice/status');
    expect(status.json).toEqual({ isPrivileged: false, presence: 'Offline' });
    await fetch(`${url}/emulator/login`, {
      method: 'POST',
      body: JSON.stringify({ loggedIn: false }),
    });
    const state = (await (await fetch(`${url}/emulator/state`)).json()) as {
      loggedIn: boolean;
      users: { username: string; behaviour: { offline?: boolean } }[];
    };
    expect(state.loggedIn).toBe(false);
    expect(state.users[0]?.behaviour.offline).toBe(true);
    const unknown = await fetch(`${url}/emulator/users/nobody/behaviour`, {
      method: 'POST',
      body: '{}',
    });
    expect(unknown.status).toBe(404);
  });
});
