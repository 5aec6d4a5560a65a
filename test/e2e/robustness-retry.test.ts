// Issue 3, every source of a round failing: the download waits for the backoff, searches again on
// time, and either completes once a peer behaves or fails with the last code and a message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { DownloadDto, DownloadProgress } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { startStack, type Stack } from '../helpers/stack.js';

const TRACK = {
  artist: 'Patient Choir',
  title: 'Second Wind',
  album: 'Retry Hymns',
  trackNumber: 2,
  durationSeconds: 3,
};
const PEERS = ['alpha', 'beta'];
const FAILING = { failAfterBytes: 4_000, uploadSpeed: 40_000 };

interface Seen {
  at: number;
  dto: DownloadDto;
}

describe('every candidate failing', () => {
  let dir: string;
  let files: string[];
  let stack: Stack | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-robust-retry-'));
    files = PEERS.map((p) => path.join(dir, `${p}.flac`));
    await makeTone(files[0]!, { seconds: 3, frequency: 500, format: 'flac' });
    await makeTone(files[1]!, { seconds: 3, frequency: 520, format: 'flac' });
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const users = (): SimUser[] =>
    PEERS.map((username, i) => ({
      username,
      behaviour: FAILING,
      files: [
        {
          remotePath: `@@${username}\\Music\\Patient Choir\\Retry Hymns\\02 - Second Wind.flac`,
          localPath: files[i]!,
        },
      ],
    }));

  async function start(env: Record<string, string>): Promise<{ s: Stack; seen: Seen[] }> {
    stack = await startStack({
      users: users(),
      env: { SOULSPOT_RETRY_BACKOFF_SECONDS: '1', ...env },
    });
    const seen: Seen[] = [];
    stack.soulspot.bus.on('download.updated', (dto) => seen.push({ at: Date.now(), dto }));
    const res = await stack.api<DownloadDto>('POST', '/api/downloads', TRACK);
    expect(res.status).toBe(201);
    return { s: stack, seen };
  }

  async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The first update that put the download back to `waiting` for retry `n`. */
  const waitingFor = (seen: Seen[], n: number): Seen | undefined =>
    seen.find((x) => x.dto.status === 'waiting' && x.dto.retryCount === n);

  /**
   * The download as a client following the event log would have it: the last `download.updated`
   * with every `download.progress` after it applied, and how often each event type came.
   */
  async function fromTheLog(s: Stack, id: string) {
    const rows = await s.soulspot.db.db.selectFrom('events').selectAll().orderBy('id').execute();
    let state: Record<string, unknown> | undefined;
    const count: Record<string, number> = {};
    for (const r of rows) {
      const payload = JSON.parse(r.payload) as { id?: string };
      if (payload.id !== id) continue;
      count[r.type] = (count[r.type] ?? 0) + 1;
      if (r.type === 'download.updated') {
        const { changed: _changed, ...dto } = payload as DownloadDto & { changed?: string[] };
        state = dto;
      }
      if (r.type === 'download.progress') {
        const { speed: _speed, ...delta } = payload as DownloadProgress;
        state = { ...state, ...delta };
      }
    }
    return { state, count };
  }

  /** The round after `waiting` must start searching within 1.5 s of nextRetryAt, not before it. */
  function expectRetryOnTime(seen: Seen[], waiting: Seen): void {
    const due = Date.parse(waiting.dto.nextRetryAt!);
    const searched = seen.find((x) => x.at > waiting.at && x.dto.status === 'searching');
    expect(searched, 'a new search round after the backoff').toBeDefined();
    const late = searched!.at - due;
    expect(late, 'ms between nextRetryAt and the new search').toBeGreaterThanOrEqual(-50);
    expect(late, 'ms between nextRetryAt and the new search').toBeLessThan(1500);
  }

  it('waits with nextRetryAt, searches again after the backoff and completes once a peer behaves', async () => {
    const { s, seen } = await start({ SOULSPOT_MAX_RETRIES: '3' });
    await until(() => waitingFor(seen, 1) !== undefined, 15_000, 'the first retry wait');
    const waiting = waitingFor(seen, 1)!;
    // The peers mend their ways while the download waits out its backoff.
    for (const p of PEERS) s.emulator.setBehaviour(p, { failAfterBytes: undefined });

    expect(waiting.dto.nextRetryAt).not.toBeNull();
    expect(Date.parse(waiting.dto.nextRetryAt!)).toBeGreaterThan(waiting.at);
    expect(waiting.dto.errorCode).toBe('transfer_failed');
    const round1 = waiting.dto.attempts;
    expect(round1.map((a) => a.username).sort()).toEqual([...PEERS].sort());
    expect(round1.every((a) => a.outcome === 'failed' && a.errorCode === 'transfer_failed')).toBe(
      true,
    );

    const [done] = await s.waitFor(
      (items) => items[0]?.status === 'completed' || items[0]?.status === 'failed',
      15_000,
    );
    expect(done!.status, `${done!.errorCode}: ${done!.errorMessage}`).toBe('completed');
    expect(done!.retryCount).toBe(1);
    expect(done!.errorCode).toBeNull();
    expect(done!.nextRetryAt).toBeNull();
    expect(done!.attempts.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expectRetryOnTime(seen, waiting);
    // The log alone rebuilds the download, and announced the completion once, no failure.
    const logged = await fromTheLog(s, done!.id);
    expect(logged.state).toEqual(done);
    expect(logged.count['download.completed']).toBe(1);
    expect(logged.count['download.failed']).toBeUndefined();
    expect(logged.count['download.progress'], 'bytes moved as deltas').toBeGreaterThan(0);
  });

  it('ends failed with the last code and a message once the retries are used up', async () => {
    const { s, seen } = await start({ SOULSPOT_MAX_RETRIES: '1' });
    const [done] = await s.waitFor(
      (items) => items[0]?.status === 'completed' || items[0]?.status === 'failed',
      20_000,
    );
    expect(done!.status).toBe('failed');
    expect(done!.errorCode).toBe('transfer_failed');
    expect(done!.errorMessage).toBeTruthy();
    expect(done!.retryCount).toBe(1);
    expect(done!.nextRetryAt).toBeNull();
    // Two rounds, each trying both peers.
    expect(done!.attempts).toHaveLength(4);
    expect(done!.attempts.every((a) => a.outcome === 'failed' && a.errorCode !== null)).toBe(true);
    const waiting = waitingFor(seen, 1);
    expect(waiting, 'the download waited for its one retry').toBeDefined();
    expectRetryOnTime(seen, waiting!);
    const logged = await fromTheLog(s, done!.id);
    expect(logged.state).toEqual(done);
    expect(logged.count['download.failed'], 'two rounds, one failure').toBe(1);
    expect(logged.count['download.completed']).toBeUndefined();
  });
});
