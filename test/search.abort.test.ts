// POST /api/search whose client goes away: the route aborts the search (search.routes.ts), and the
// search must stop AT slskd, not only its record go (a DELETE leaves a running search running).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startStack, type Stack } from './helpers/stack.js';
import { waitUntil } from './helpers/wait.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TONE = path.join(here, '../fixtures/audio/tone-a.flac');
/** The peer answers this late, and slskd waits that long: the search would run for 30 s. */
const SLOW_MS = 30_000;

describe('a manual search whose client disconnects', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      users: [
        {
          username: 'slowpeer',
          files: [{ remotePath: '@@s\\Music\\Sine\\01 - Tone A.flac', localPath: TONE }],
          behaviour: { latencyMs: SLOW_MS },
        },
      ],
      env: { SOULSPOT_SEARCH_TIMEOUT_SECONDS: String(SLOW_MS / 1000) },
      // The stack caps slskd's search timeout at 150 ms for speed; this search must outlast it.
      emulator: { searchTimeoutCapMs: SLOW_MS },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is stopped at slskd at once, and its hand-search slot is free again', async () => {
    const client = new AbortController();
    const request = fetch(`${stack.soulspot.url}/api/search`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'sine tone' }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await waitUntil(
      () => stack.emulator.searchLog.length === 1 && stack.emulator.unfinishedSearches === 1,
      { what: 'the search running at slskd' },
    );
    const gone = Date.now();
    client.abort();
    expect(await request).toMatchObject({ name: 'AbortError' });
    // Stopped at slskd (PUT), long before the peer would have answered or slskd given up.
    await waitUntil(() => stack.emulator.unfinishedSearches === 0, {
      what: 'the search stopped at slskd',
      timeoutMs: SLOW_MS / 2,
    });
    expect(Date.now() - gone).toBeLessThan(SLOW_MS / 2);
    expect(stack.emulator.requestCounts['PUT /searches/{id}'] ?? 0).toBeGreaterThanOrEqual(1);

    // The slot it held is back: three searches at once are all let through (none told 429).
    stack.emulator.setBehaviour('slowpeer', { latencyMs: 20 });
    const settings = await stack.api('PATCH', '/api/settings', { searchTimeoutSeconds: 1 });
    expect(settings.status).toBe(200);
    const three = await Promise.all(
      [1, 2, 3].map(() => stack.api('POST', '/api/search', { query: 'sine tone' })),
    );
    expect(three.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});
