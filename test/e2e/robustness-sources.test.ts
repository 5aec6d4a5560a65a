// Issue 3, source failures: one failing peer per test, played by the emulator, and a good alternative.
// The download must move on to the alternative at once and say on the attempt why the first failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PeerBehaviour, SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { SLSKD_KEY, startStack, type Stack } from '../helpers/stack.js';
import { sha } from '../helpers/files.js';

const TRACK = {
  artist: 'Robust Band',
  title: 'Safe Song',
  album: 'Steady Album',
  trackNumber: 1,
  durationSeconds: 3,
};
const FIRST = {
  username: 'firstchoice',
  filename: '@@fc\\Music\\Robust Band\\Steady Album (2001)\\01 - Safe Song.flac',
};
const FALLBACK = {
  username: 'fallback',
  filename: '@@fb\\Music\\Robust Band\\Steady Album\\01 - Safe Song.flac',
};

interface Seen {
  at: number;
  status: DownloadDto['status'];
  user: string | null;
  bytes: number;
}

interface SlskdTransfer {
  id: string;
  username: string;
  filename: string;
  state: string;
  exception?: string;
  removed?: boolean;
}

/** Every transfer record the emulator holds, removed ones included, through its slskd API. */
async function slskdTransfers(stack: Stack): Promise<SlskdTransfer[]> {
  const res = await fetch(`${stack.emulator.url}/api/v0/transfers/downloads?includeRemoved=true`, {
    headers: { 'x-api-key': SLSKD_KEY },
  });
  const groups = (await res.json()) as Array<{ directories: Array<{ files: SlskdTransfer[] }> }>;
  return groups.flatMap((g) => g.directories.flatMap((d) => d.files));
}

describe('a failing source gives way to the alternative at once', () => {
  let dir: string;
  let badFile: string;
  let goodFile: string;
  let stack: Stack | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-robust-src-'));
    badFile = path.join(dir, 'first.flac');
    goodFile = path.join(dir, 'fallback.flac');
    // Same length, different tones: the library file tells which source delivered.
    await makeTone(badFile, { seconds: 3, frequency: 440, format: 'flac' });
    await makeTone(goodFile, { seconds: 3, frequency: 660, format: 'flac' });
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The first choice misbehaves; the fallback advertises no free slot, so it ranks second. */
  function users(first: PeerBehaviour): SimUser[] {
    return [
      {
        username: FIRST.username,
        behaviour: first,
        files: [{ remotePath: FIRST.filename, localPath: badFile }],
      },
      {
        username: FALLBACK.username,
        behaviour: { hasFreeUploadSlot: false, latencyMs: 120 },
        files: [{ remotePath: FALLBACK.filename, localPath: goodFile }],
      },
    ];
  }

  /** Starts a stack, requests the track and records every status the download goes through. */
  async function run(
    first: PeerBehaviour,
    env: Record<string, string> = {},
    during?: (s: Stack) => () => void,
  ): Promise<{ done: DownloadDto; seen: Seen[] }> {
    stack = await startStack({ users: users(first), env });
    const s = stack;
    const seen: Seen[] = [];
    s.soulspot.bus.on('download.updated', (d) =>
      seen.push({
        at: Date.now(),
        status: d.status,
        user: d.source?.username ?? null,
        bytes: d.bytesTransferred,
      }),
    );
    const stop = during?.(s);
    try {
      const res = await s.api<DownloadDto>('POST', '/api/downloads', TRACK);
      expect(res.status).toBe(201);
      const [done] = await s.waitFor(
        (items) => items.length === 1 && ['completed', 'failed'].includes(items[0]!.status),
        20_000,
      );
      return { done: done!, seen };
    } finally {
      stop?.();
    }
  }

  /** Completed from the fallback; the first attempt failed with `code`; the switch was immediate. */
  function expectFellBack(done: DownloadDto, code: string): void {
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(done.source?.username).toBe(FALLBACK.username);
    expect(done.retryCount).toBe(0);
    const [first, second, ...rest] = done.attempts;
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ username: FIRST.username, outcome: 'failed', errorCode: code });
    expect(first!.errorMessage).toBeTruthy();
    expect(first!.finishedAt).not.toBeNull();
    expect(second).toMatchObject({ username: FALLBACK.username, outcome: 'succeeded' });
    const gap = Date.parse(second!.startedAt) - Date.parse(first!.finishedAt!);
    expect(gap, 'ms between the failure and the next source').toBeLessThan(1000);
    expect(sha(done.libraryPath!)).toBe(sha(goodFile));
  }

  it('peer offline: source_offline on the attempt, the alternative completes it', async () => {
    // An offline peer never answers a search, so this one goes offline right after its answer
    // reached slskd (5 ms) and before the search ends (the fallback answers at 120 ms, then 150 ms
    // of quiet): SoulSpot ranks it best, and it is offline when SoulSpot enqueues.
    let flipped = false;
    const { done } = await run({ latencyMs: 5 }, {}, (s) => {
      let watching = true;
      void (async () => {
        while (watching && !flipped) {
          const searches = await fetch(`${s.emulator.url}/api/v0/searches`, {
            headers: { 'x-api-key': SLSKD_KEY },
          }).then((r) => r.json() as Promise<Array<{ responseCount: number }>>);
          if (searches.some((x) => x.responseCount > 0)) {
            s.emulator.setBehaviour(FIRST.username, { offline: true });
            flipped = true;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      return () => {
        watching = false;
      };
    });
    expect(flipped).toBe(true);
    expectFellBack(done, 'source_offline');
  });

  it.each([
    ['File not shared.', 'file_not_found'],
    ['Banned', 'user_blocked'],
  ])(
    'peer rejects with "%s": %s on the attempt, the alternative completes it',
    async (reason, code) => {
      const { done } = await run({ reject: reason });
      expectFellBack(done, code);
    },
  );

  it('error mid-transfer: transfer_failed, and the library holds the alternative bytes', async () => {
    const { done, seen } = await run({ failAfterBytes: 8_000, uploadSpeed: 40_000 });
    expectFellBack(done, 'transfer_failed');
    expect(seen.some((s) => s.status === 'downloading' && s.user === FIRST.username)).toBe(true);
    expect(sha(done.libraryPath!)).not.toBe(sha(badFile));
  });

  it('stuck in the remote queue: cancelled at slskd after the stall timeout (queue_timeout)', async () => {
    const { done, seen } = await run(
      { stuckInQueue: true },
      { SOULSPOT_STALL_TIMEOUT_SECONDS: '1' },
    );
    expectFellBack(done, 'queue_timeout');
    // While the peer held it in its queue, the download said so.
    expect(seen.some((s) => s.status === 'queued' && s.user === FIRST.username)).toBe(true);
    expect(seen.some((s) => s.status === 'downloading' && s.user === FIRST.username)).toBe(false);
    // The stalled transfer was cancelled and removed at slskd, not left behind.
    const stuck = (await slskdTransfers(stack!)).filter((t) => t.username === FIRST.username);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ state: 'Completed, Cancelled', removed: true });
  });

  it('slow past the stall timeout mid-transfer: cancelled at slskd (queue_timeout)', async () => {
    const { done, seen } = await run(
      { stallAfterBytes: 6_000, uploadSpeed: 40_000 },
      { SOULSPOT_STALL_TIMEOUT_SECONDS: '1' },
    );
    expectFellBack(done, 'queue_timeout');
    expect(
      seen.some((s) => s.status === 'downloading' && s.user === FIRST.username && s.bytes > 0),
    ).toBe(true);
    const stalled = (await slskdTransfers(stack!)).filter((t) => t.username === FIRST.username);
    expect(stalled).toHaveLength(1);
    expect(stalled[0]).toMatchObject({ state: 'Completed, Cancelled', removed: true });
  });
});
