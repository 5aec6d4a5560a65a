import { describe, expect, it } from 'vitest';
import type { TransferStatus } from '../providers/provider.js';
import type { DownloadProvider } from '../providers/provider.js';
import {
  createTransferMonitor,
  earlyCycleAt,
  endingWithin,
  BYTES_SAVED_EVERY_MS,
  END_MARGIN_MS,
  LOOKS_PER_COUNT,
  minCycleGapMs,
  movingEndAt,
  predictedEnd,
} from './transfer-monitor.js';
import { createProviderSet } from '../providers/provider-set.js';

const t = (
  id: string,
  state: TransferStatus['state'],
  bytes = 0,
  speed = 0,
  size = 1000,
): TransferStatus => ({
  id,
  username: 'u',
  filename: `${id}.flac`,
  size,
  state,
  raw: state,
  bytesTransferred: bytes,
  averageSpeed: speed,
  percentComplete: (bytes / size) * 100,
});

describe('predictedEnd', () => {
  const at = 10_000;
  it('is the soonest end among moving transfers, bytes left at their average speed', () => {
    const list = [t('a', 'in_progress', 500, 100), t('b', 'in_progress', 900, 100)];
    expect(predictedEnd(list, at, new Set(['a', 'b']))).toBe(at + 1000);
    expect(predictedEnd(list, at, new Set(['a']))).toBe(at + 5000);
  });
  it('is now for a transfer about to move, not listed yet, or without a speed yet', () => {
    expect(predictedEnd([t('a', 'initializing')], at, new Set(['a']))).toBe(at);
    expect(predictedEnd([t('a', 'in_progress', 10, 0)], at, new Set(['a']))).toBe(at);
    expect(predictedEnd([], at, new Set(['a']))).toBe(at);
  });
  it('is null while every followed transfer waits in a peer queue', () => {
    expect(predictedEnd([t('a', 'queued_remotely')], at, new Set(['a']))).toBeNull();
    expect(predictedEnd([t('a', 'in_progress', 1, 1)], at, new Set())).toBeNull();
  });
});

describe('endingWithin', () => {
  it('counts followed transfers ending within the horizon, finished ones and unlisted ones', () => {
    const list = [
      t('soon', 'in_progress', 900, 100),
      t('late', 'in_progress', 0, 1),
      t('queued', 'queued_remotely'),
      t('done', 'succeeded', 1000, 100),
      t('other', 'in_progress', 900, 100),
    ];
    const followed = new Set(['soon', 'late', 'queued', 'done', 'unlisted']);
    expect(endingWithin(list, 0, followed, 0, 2000)).toBe(3);
  });
});

describe('earlyCycleAt', () => {
  const at = 10_000;
  const followed = new Set(['a', 'b']);
  it('is just after the soonest predicted end of a moving transfer, when before the regular cycle', () => {
    // 100 bytes left at 1000 B/s: ends 100 ms after the read; looked at a margin after that.
    const list = [t('a', 'in_progress', 900, 1000), t('b', 'in_progress', 0, 1000)];
    expect(earlyCycleAt(list, at, followed, at + 2000, 25)).toBe(at + 100 + END_MARGIN_MS);
  });
  it('is null when the end comes at or after the regular cycle anyway', () => {
    const list = [t('a', 'in_progress', 0, 1000)];
    expect(earlyCycleAt(list, at, followed, at + 1000, 25)).toBeNull();
    expect(earlyCycleAt(list, at, followed, at + 1030, 25)).toBeNull();
  });
  it('keeps the shortest gap after the read, even for a transfer due now', () => {
    expect(earlyCycleAt([t('a', 'in_progress', 999, 1000)], at, followed, at + 2000, 25)).toBe(
      at + 25,
    );
  });
  it('looks early only for moving transfers with a speed, and only followed ones', () => {
    const waiting = [
      t('a', 'queued_remotely'),
      t('b', 'initializing'),
      t('c', 'in_progress', 900, 1000),
    ];
    expect(earlyCycleAt(waiting, at, followed, at + 2000, 25)).toBeNull();
    expect(earlyCycleAt([t('a', 'in_progress', 900, 0)], at, followed, at + 2000, 25)).toBeNull();
  });
  it('spaces cycles by an eighth of the interval, at least 25 ms', () => {
    expect(minCycleGapMs(100)).toBe(25);
    expect(minCycleGapMs(2000)).toBe(250);
  });
});

describe('movingEndAt: a byte count saved a while before the list was read', () => {
  const at = 10_000;
  // 1000 bytes at 1000 B/s, 400 of them counted: 600 ms left if the count is as old as the read.
  const moving = (startedAt?: number): TransferStatus => ({
    ...t('a', 'in_progress', 400, 1000),
    ...(startedAt === undefined ? {} : { startedAt }),
  });
  it('is bytes left at the speed from the read when the daemon gives no start', () => {
    expect(movingEndAt(moving(), at)).toBe(at + 600);
  });
  it('dates the count by its start and speed: a count saved 200 ms before the read ends 200 ms sooner', () => {
    // Started 600 ms before the read: 400 bytes at 1000 B/s were counted 200 ms before it.
    expect(movingEndAt(moving(at - 600), at)).toBe(at + 400);
  });
  it('never later than the read says (a start that is late on our clock)', () => {
    expect(movingEndAt(moving(at), at)).toBe(at + 600);
  });
  it('never sooner than the count can be old (a daemon clock far behind ours)', () => {
    expect(movingEndAt(moving(at - 60_000), at)).toBe(at + 600 - BYTES_SAVED_EVERY_MS);
  });
  it('moves the early look to the dated end', () => {
    const list = [moving(at - 600)];
    expect(earlyCycleAt(list, at, new Set(['a']), at + 2000, 25)).toBe(at + 400 + END_MARGIN_MS);
  });
});

describe('early looks at a transfer stuck near its end', () => {
  it('looks twice at a byte count (the end a little after its prediction), then waits for it to move', () => {
    const stuck = [t('a', 'in_progress', 999, 100)];
    const a = new Set(['a']);
    expect(earlyCycleAt(stuck, 0, a, 1000, 25)).toBe(25);
    const once = new Map([['a', { bytes: 999, looks: 1 }]]);
    expect(earlyCycleAt(stuck, 100, a, 1000, 25, once)).toBe(125);
    const twice = new Map([['a', { bytes: 999, looks: LOOKS_PER_COUNT }]]);
    expect(earlyCycleAt(stuck, 0, a, 1000, 25, twice)).toBeNull();
    const moved = [t('a', 'in_progress', 1000 - 2, 100)];
    expect(earlyCycleAt(moved, 0, a, 1000, 25, twice)).toBe(25);
  });

  it('asks for the list about once per interval, not every eighth of it', async () => {
    // 99.99 % done at a constant average speed, and never more: slskd's record of a stalled peer.
    const stalled = t('a', 'in_progress', 999_900, 100_000, 1_000_000);
    let lists = 0;
    const provider = {
      listTransfers: () => {
        lists++;
        return Promise.resolve([stalled]);
      },
    } as unknown as DownloadProvider;
    const monitor = createTransferMonitor({ provider, pollIntervalMs: 200 });
    const unwatch = monitor.watch('a', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    unwatch();
    monitor.stop();
    // Five regular cycles in 1.1 s, plus at most the one early look the first list allows.
    expect(lists).toBeGreaterThanOrEqual(4);
    expect(lists).toBeLessThanOrEqual(7);
  });
});

describe('a provider set with one client down', () => {
  const client = (name: string, list: () => Promise<TransferStatus[]>): DownloadProvider =>
    ({ name, health: () => Promise.resolve({ state: 'up' }), listTransfers: list }) as never;

  it("keeps following the other clients' transfers, and reads the down one's as unavailable", async () => {
    const provider = createProviderSet({
      indexers: [client('slskd', () => Promise.resolve([]))],
      clients: [
        client('slskd', () => Promise.reject(new Error('slskd is down'))),
        client('qbittorrent', () => Promise.resolve([t('q', 'in_progress', 10, 5)])),
      ],
    });
    const monitor = createTransferMonitor({ provider, pollIntervalMs: 50 });
    const seen = new Map<string, string>();
    const offs = [
      monitor.watch('q', (u) => seen.set('q', u.kind), 'qbittorrent'),
      monitor.watch('s', (u) => seen.set('s', u.kind), 'slskd'),
      // Not at the failed client, and not in any list: it is gone, not unreachable.
      monitor.watch('gone', (u) => seen.set('gone', u.kind), 'qbittorrent'),
    ];
    await new Promise((resolve) => setTimeout(resolve, 300));
    offs.forEach((off) => off());
    monitor.stop();
    expect(Object.fromEntries(seen)).toEqual({ q: 'status', s: 'unavailable', gone: 'missing' });
  });
});
