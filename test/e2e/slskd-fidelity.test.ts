// slskd behaviours the pipeline must read right, end to end: a search an slskd restart cut short
// (it keeps its responseCount but has no responses), a transfer that stops moving (Soulseek.NET's
// inactivity timeout, retried by slskd 0.26 up to its attempts), a per-file "Error: …" in the batch
// answer, and the 500 slskd answers when it cannot connect to a peer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PeerBehaviour, SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import type { StoredCandidates } from '../../src/downloads/search.step.js';
import { buildSearchQueries } from '../../src/matching/query.js';
import { makeTone } from '../helpers/audio.js';
import { sha } from '../helpers/files.js';
import { SLSKD_KEY, startStack, type Stack } from '../helpers/stack.js';

const track = (title: string) => ({
  artist: 'Faithful Copy',
  title,
  album: 'Same Old',
  durationSeconds: 3,
});
const remote = (user: string, title: string) =>
  `@@${user}\\Music\\Faithful Copy\\Same Old (2019)\\01 - ${title}.flac`;

async function settle(s: Stack, id: string, ms = 45_000): Promise<DownloadDto> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = (await s.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
    if (d.status === 'completed' || d.status === 'failed') return d;
    if (Date.now() > deadline) throw new Error(`download still ${d.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('slskd as it really behaves', () => {
  let dir: string;
  let wanted: string;
  let other: string;
  let stack: Stack | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-fidelity-'));
    wanted = path.join(dir, 'wanted.flac');
    other = path.join(dir, 'other.flac');
    await makeTone(wanted, { seconds: 3, frequency: 510, format: 'flac' });
    await makeTone(other, { seconds: 3, frequency: 610, format: 'flac' });
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Per title: a first choice behaving as given, and an alternative without a free slot. */
  const users = (titles: Array<[string, PeerBehaviour]>): SimUser[] =>
    titles.flatMap(([title, first], i) => [
      {
        username: `first${i}`,
        behaviour: first,
        files: [{ remotePath: remote(`first${i}`, title), localPath: wanted }],
      },
      {
        username: `second${i}`,
        behaviour: { hasFreeUploadSlot: false },
        files: [{ remotePath: remote(`second${i}`, title), localPath: other }],
      },
    ]);

  it('searches again when an slskd restart lost the responses it had counted', async () => {
    stack = await startStack({
      users: users([['Lost Answer', { latencyMs: 30 }]]),
      // A search that keeps running for seconds after its answers, so the restart cuts it short.
      env: { SOULSPOT_SEARCH_TIMEOUT_SECONDS: '3' },
      emulator: { searchTimeoutCapMs: 10_000 },
    });
    const s = stack;
    const created = await s.api<DownloadDto>('POST', '/api/downloads', track('Lost Answer'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${s.emulator.url}/api/v0/searches`, {
        headers: { 'x-api-key': SLSKD_KEY },
      });
      const searches = (await res.json()) as Array<{ responseCount: number; isComplete: boolean }>;
      if (searches.some((x) => x.responseCount > 0 && !x.isComplete)) break;
      if (Date.now() > deadline) throw new Error('no running search with responses');
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.emulator.restart();

    const d = await settle(s, created.body.id);
    expect(`${d.status} ${d.errorMessage ?? ''}`).toBe('completed ');
    expect(d.retryCount).toBe(0);
    expect(d.attempts.map((a) => a.username)).toEqual(['first0']);
    // The same query again, not the next, looser one as if the first had found nothing.
    const row = await s.soulspot.db.db
      .selectFrom('downloads')
      .selectAll()
      .where('id', '=', d.id)
      .executeTakeFirstOrThrow();
    const stored = JSON.parse(row.candidates!) as StoredCandidates;
    expect(stored.query).toBe(buildSearchQueries(row)[0]);
    expect(s.emulator.requestCounts['POST /searches']).toBe(2);
  });

  it('follows slskd retrying a transfer that stopped moving, then takes the next source', async () => {
    stack = await startStack({
      users: users([['Stopped Tape', { stallAfterBytes: 6_000, uploadSpeed: 60_000 }]]),
      env: { SOULSPOT_STALL_TIMEOUT_SECONDS: '60' },
      // slskd 0.26's 3 attempts (shorter delays than its 5 s), and a short inactivity timeout.
      emulator: { inactivityTimeoutMs: 800, retry: { attempts: 3, delayMs: 300 } },
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', track('Stopped Tape'));
    const d = await settle(stack, created.body.id);
    expect(`${d.status} ${d.errorMessage ?? ''}`).toBe('completed ');
    expect(d.attempts.map((a) => [a.username, a.outcome, a.errorCode])).toEqual([
      ['first0', 'failed', 'timeout'],
      ['second0', 'succeeded', null],
    ]);
    expect(d.attempts[0]?.errorMessage).toMatch(/Inactivity timeout of 800 milliseconds/);
    expect(sha(d.libraryPath!)).toBe(sha(other));
    // slskd's own retries were followed, not answered with enqueues of SoulSpot's.
    expect(stack.emulator.enqueues.map((e) => e.username)).toEqual(['first0', 'second0']);
    const res = await fetch(
      `${stack.emulator.url}/api/v0/transfers/downloads/first0/${d.attempts[0]!.transferId}`,
      { headers: { 'x-api-key': SLSKD_KEY } },
    );
    expect(await res.json()).toMatchObject({ state: 'Completed, TimedOut', attempts: 3 });
  });

  it('moves on after a per-file "Error: …" and after a 500 for an unreachable peer', async () => {
    stack = await startStack({
      users: users([
        [
          'Bad Answer',
          { enqueueError: 'Failed to establish a direct or indirect transfer connection' },
        ],
        ['No Route', { unreachable: true }],
      ]),
    });
    const s = stack;
    const ids = await Promise.all(
      ['Bad Answer', 'No Route'].map(async (title) => {
        const res = await s.api<DownloadDto>('POST', '/api/downloads', track(title));
        return res.body.id;
      }),
    );
    const [bad, unreachable] = await Promise.all(ids.map((id) => settle(s, id)));
    for (const [d, user, code] of [
      [bad!, '0', 'source_offline'],
      [unreachable!, '1', 'source_offline'],
    ] as const) {
      expect(`${d.status} ${d.errorMessage ?? ''}`).toBe('completed ');
      expect(d.attempts.map((a) => [a.username, a.outcome, a.errorCode])).toEqual([
        [`first${user}`, 'failed', code],
        [`second${user}`, 'succeeded', null],
      ]);
      expect(d.retryCount).toBe(0);
    }
    expect(unreachable!.attempts[0]?.errorMessage).toMatch(/could not be reached/);
    // Neither failure left a transfer at slskd behind.
    expect(s.emulator.enqueues.map((e) => e.username).sort()).toEqual(['second0', 'second1']);
  });
});
