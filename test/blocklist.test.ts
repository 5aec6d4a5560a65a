import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBlocklistService,
  type BlocklistService,
  type BlocklistSettings,
} from '../src/blocklist/blocklist.service.js';
import { NotFoundError } from '../src/downloads/downloads.service.js';
import type { ErrorCode } from '../src/downloads/error-codes.js';
import { createEventBus, type AttemptFinished, type EventBus } from '../src/events/event-bus.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SETTINGS: BlocklistSettings = { failureThreshold: 3, windowMs: DAY, blockMs: 7 * DAY };
const FILE_A = '@@music\\Artist\\Album\\01 - Song.flac';
const FILE_B = '@@music\\Artist\\Album\\02 - Other.flac';

const failed = (
  username: string,
  errorCode: ErrorCode | null,
  at: number,
  filename = FILE_A,
): AttemptFinished => ({
  downloadId: 'download-1',
  provider: 'slskd',
  username,
  filename,
  outcome: 'failed',
  errorCode,
  errorMessage: errorCode ? `it went ${errorCode}` : null,
  bytes: 0,
  averageSpeed: null,
  at,
});

const succeeded = (
  username: string,
  at: number,
  bytes: number,
  averageSpeed: number | null,
): AttemptFinished => ({
  ...failed(username, null, at),
  outcome: 'succeeded',
  errorMessage: null,
  bytes,
  averageSpeed,
});

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(testDialects())('blocklist and peer statistics on %s', (dialect) => {
  let db: TestDb;
  let bus: EventBus;
  let clock: number;
  let blocklist: BlocklistService;

  beforeEach(async () => {
    db = await freshDb(dialect);
    bus = createEventBus();
    clock = T0;
    blocklist = createBlocklistService({
      handle: db,
      bus,
      now: () => clock,
      settings: SETTINGS,
    });
  });
  afterEach(async () => {
    await db.cleanup();
  });

  /** Records a failure as if it happened now on the service's clock. */
  const failAt = async (at: number, username: string, code: ErrorCode, filename = FILE_A) => {
    clock = at;
    await blocklist.record(failed(username, code, at, filename));
  };
  const blocked = async (username: string, filename = FILE_A) =>
    (await blocklist.sourceFilter([username])).isBlocked({ username, filename });
  const statsRow = (username: string) =>
    db.db.selectFrom('peer_stats').selectAll().where('username', '=', username).executeTakeFirst();

  it('blocks a user after N counted failures within the window', async () => {
    await failAt(T0, 'flaky', 'timeout');
    await failAt(T0 + HOUR, 'flaky', 'transfer_failed', FILE_B);
    expect(await blocked('flaky')).toBe(false);
    expect(await blocklist.list()).toEqual([]);

    await failAt(T0 + 2 * HOUR, 'flaky', 'queue_timeout');
    // A user-level block: files never tried are blocked too; other peers are not.
    expect(await blocked('flaky', '@@other\\x.mp3')).toBe(true);
    expect(await blocked('steady')).toBe(false);
    const [entry, ...rest] = await blocklist.list();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      username: 'flaky',
      filename: null,
      source: 'auto',
      failureCount: 3,
      createdAt: new Date(T0 + 2 * HOUR).toISOString(),
      expiresAt: new Date(T0 + 2 * HOUR + 7 * DAY).toISOString(),
    });
    expect(entry?.reason).toContain('3 failures within 24 h');
    expect(entry?.reason).toContain('queue_timeout');
  });

  it('does not block when the failures are spread beyond the window', async () => {
    // Each failure has at most one other within the preceding 24 h.
    for (const at of [T0, T0 + 13 * HOUR, T0 + 26 * HOUR, T0 + 39 * HOUR]) {
      await failAt(at, 'slow', 'timeout');
      expect(await blocked('slow')).toBe(false);
    }
    // A failure exactly one window after another no longer counts with it.
    await failAt(T0 + 50 * HOUR, 'slow', 'timeout');
    expect(await blocked('slow')).toBe(false);
    // T0+39h, T0+50h and this one are within 24 h: three.
    await failAt(T0 + 51 * HOUR, 'slow', 'timeout');
    expect(await blocked('slow')).toBe(true);
    expect((await statsRow('slow'))?.failures).toBe(6);
  });

  it("blocks only the file at once for a 'file' code", async () => {
    await failAt(T0, 'peer', 'file_not_found', FILE_A);
    expect(await blocked('peer', FILE_A)).toBe(true);
    expect(await blocked('peer', FILE_B)).toBe(false);
    await failAt(T0 + 1, 'peer', 'invalid_file', FILE_B);
    expect(await blocked('peer', FILE_B)).toBe(true);
    const items = await blocklist.list();
    expect(items.map((e) => [e.filename, e.source, e.failureCount])).toEqual([
      [FILE_B, 'auto', 1],
      [FILE_A, 'auto', 1],
    ]);
    expect(items[0]?.reason).toBe('invalid_file: it went invalid_file');
    expect(items[0]?.expiresAt).toBe(new Date(T0 + 1 + 7 * DAY).toISOString());
    // Blocking a file does not count towards blocking the user.
    await failAt(T0 + 2, 'peer', 'file_not_found', '@@c.flac');
    expect(await blocked('peer', '@@d.flac')).toBe(false);
  });

  it("blocks the whole user at once for a 'user' code", async () => {
    await failAt(T0, 'banner', 'user_blocked');
    expect(await blocked('banner', FILE_A)).toBe(true);
    expect(await blocked('banner', FILE_B)).toBe(true);
    expect((await blocklist.list())[0]).toMatchObject({ filename: null, failureCount: 1 });
  });

  it('blocks nothing and does not blame the peer for codes that are not its fault', async () => {
    for (const code of ['cancelled', 'disk_full', 'slskd_unavailable'] as const) {
      await failAt(T0, 'innocent', code);
    }
    await failAt(T0, 'innocent', 'timeout');
    expect(await blocked('innocent')).toBe(false);
    const row = await statsRow('innocent');
    expect(row?.failures).toBe(4);
    expect(JSON.parse(row?.failures_by_code ?? '')).toEqual({
      cancelled: 1,
      disk_full: 1,
      slskd_unavailable: 1,
      timeout: 1,
    });
    const filter = await blocklist.sourceFilter(['innocent']);
    expect(filter.peerRecord('innocent')).toEqual({ successes: 0, failures: 1 });
  });

  it('keeps successes, failures by code, bytes and the average speed', async () => {
    await blocklist.record(succeeded('fast', T0, 1000, 100));
    await blocklist.record(succeeded('fast', T0 + 1, 2000, 200));
    // No measured speed: counts as a success, not as a speed sample.
    await blocklist.record(succeeded('fast', T0 + 2, 3000, null));
    await blocklist.record(succeeded('fast', T0 + 3, 4000, 600));
    await failAt(T0 + 4, 'fast', 'timeout');
    await failAt(T0 + 5, 'fast', 'timeout');
    await failAt(T0 + 6, 'fast', 'invalid_file', FILE_B);
    await blocklist.record({ ...failed('fast', null, T0 + 7), bytes: 500 });

    const row = await statsRow('fast');
    expect(row).toMatchObject({
      successes: 4,
      failures: 4,
      bytes: 10_500,
      speed_samples: 3,
      last_failure_at: T0 + 7,
      updated_at: T0 + 7,
    });
    expect(row?.average_speed).toBeCloseTo(300, 9);
    expect(JSON.parse(row?.failures_by_code ?? '')).toEqual({
      timeout: 2,
      invalid_file: 1,
      unknown: 1,
    });
    const filter = await blocklist.sourceFilter(['fast', 'stranger']);
    expect(filter.peerRecord('fast')).toEqual({ successes: 4, failures: 4 });
    expect(filter.peerRecord('stranger')).toBeUndefined();
  });

  it('ignores expired entries and cleans them up', async () => {
    await failAt(T0, 'gone', 'user_blocked');
    clock = T0 + 1;
    await blocklist.add({ username: 'temp', expiresInDays: 0.5 });
    clock = T0 + 2;
    await blocklist.add({ username: 'forever' });
    clock = T0 + 1 + 12 * HOUR - 1;
    expect(await blocked('temp')).toBe(true);
    clock = T0 + 1 + 12 * HOUR;
    expect(await blocked('temp')).toBe(false);
    expect((await blocklist.list()).map((e) => e.username)).toEqual(['forever', 'gone']);

    clock = T0 + 7 * DAY;
    expect(await blocked('gone')).toBe(false);
    expect(await blocked('forever')).toBe(true);
    expect(await blocklist.cleanupExpired()).toBe(2);
    const left = await db.db.selectFrom('blocklist').select('username').execute();
    expect(left.map((r) => r.username)).toEqual(['forever']);
    expect(await blocklist.cleanupExpired()).toBe(0);
  });

  it('cleanup also drops counted failures that have left the window', async () => {
    await failAt(T0, 'once', 'timeout');
    await failAt(T0 + 1, 'twice', 'timeout');
    clock = T0 + DAY;
    await blocklist.cleanupExpired();
    const left = await db.db.selectFrom('peer_failures').select('username').execute();
    expect(left.map((r) => r.username)).toEqual(['twice']);
  });

  it('a lapsed automatic block does not come back on the next single failure', async () => {
    // A block shorter than the window: the failures that caused it are still inside the window
    // when it lapses, so only spending them at the block keeps one new failure from re-blocking.
    blocklist = createBlocklistService({
      handle: db,
      bus,
      now: () => clock,
      settings: { ...SETTINGS, blockMs: HOUR },
    });
    for (let i = 0; i < 3; i++) await failAt(T0 + i, 'p', 'timeout');
    expect(await blocked('p')).toBe(true);
    clock = T0 + 2 * HOUR;
    expect(await blocked('p')).toBe(false);
    await failAt(T0 + 2 * HOUR, 'p', 'timeout');
    expect(await blocked('p')).toBe(false);
    await failAt(T0 + 2 * HOUR + 1, 'p', 'timeout');
    await failAt(T0 + 2 * HOUR + 2, 'p', 'timeout');
    expect(await blocked('p')).toBe(true);
  });

  it('sourceFilter: a user entry blocks all its files, a file entry only that file', async () => {
    await blocklist.add({ username: 'whole' });
    await blocklist.add({ username: 'partial', filename: FILE_A });
    const filter = await blocklist.sourceFilter(['whole', 'partial', 'clean', 'whole']);
    expect(filter.isBlocked({ username: 'whole', filename: FILE_A })).toBe(true);
    expect(filter.isBlocked({ username: 'whole', filename: FILE_B })).toBe(true);
    expect(filter.isBlocked({ username: 'partial', filename: FILE_A })).toBe(true);
    expect(filter.isBlocked({ username: 'partial', filename: FILE_B })).toBe(false);
    // The same file name at another user is another source.
    expect(filter.isBlocked({ username: 'clean', filename: FILE_A })).toBe(false);
  });

  it('sourceFilter handles more users than one IN list holds', async () => {
    const names = Array.from({ length: 1234 }, (_, i) => `user${i}`);
    await blocklist.add({ username: 'user1100' });
    await blocklist.record(succeeded('user1200', T0, 1, 1));
    const filter = await blocklist.sourceFilter(names);
    expect(names.filter((u) => filter.isBlocked({ username: u, filename: FILE_A }))).toEqual([
      'user1100',
    ]);
    expect(filter.peerRecord('user1200')).toEqual({ successes: 1, failures: 0 });
  });

  it('manual add, update and remove', async () => {
    const first = await blocklist.add({ username: 'bad', reason: 'fakes' });
    expect(first.created).toBe(true);
    expect(first.entry).toMatchObject({
      username: 'bad',
      filename: null,
      reason: 'fakes',
      source: 'manual',
      failureCount: 0,
      expiresAt: null,
    });

    clock = T0 + 1000;
    const again = await blocklist.add({ username: 'bad', expiresInDays: 1.5 });
    expect(again.created).toBe(false);
    expect(again.entry.id).toBe(first.entry.id);
    // Absent reason keeps the old one; the expiry is replaced.
    expect(again.entry.reason).toBe('fakes');
    expect(again.entry.expiresAt).toBe(new Date(T0 + 1000 + 1.5 * DAY).toISOString());
    const cleared = await blocklist.add({ username: 'bad', reason: null });
    expect(cleared.entry).toMatchObject({ reason: null, expiresAt: null });

    const file = await blocklist.add({ username: 'bad', filename: FILE_A });
    expect(file.created).toBe(true);
    expect((await blocklist.list()).length).toBe(2);

    await blocklist.remove(first.entry.id);
    expect((await blocklist.list()).map((e) => e.id)).toEqual([file.entry.id]);
    await expect(blocklist.remove(first.entry.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('re-adding a lapsed entry creates a new one', async () => {
    const old = await blocklist.add({ username: 'x', expiresInDays: 1 });
    clock = T0 + DAY;
    const renewed = await blocklist.add({ username: 'x' });
    expect(renewed.created).toBe(true);
    expect(renewed.entry.id).not.toBe(old.entry.id);
    expect(renewed.entry.createdAt).toBe(new Date(T0 + DAY).toISOString());
  });

  it('a manual entry turns an automatic one manual, and failures never shorten it', async () => {
    await failAt(T0, 'peer', 'user_blocked');
    const manual = await blocklist.add({ username: 'peer', reason: 'mine now' });
    expect(manual.created).toBe(false);
    expect(manual.entry).toMatchObject({ source: 'manual', expiresAt: null, failureCount: 1 });
    await failAt(T0 + 1, 'peer', 'user_blocked');
    const [entry] = await blocklist.list();
    expect(entry).toMatchObject({
      source: 'manual',
      reason: 'mine now',
      expiresAt: null,
      failureCount: 2,
    });
  });

  it('an automatic block extends, never shortens, one in force', async () => {
    await blocklist.add({ username: 'peer', filename: FILE_A, expiresInDays: 30 });
    await failAt(T0 + 1, 'peer', 'invalid_file');
    expect((await blocklist.list())[0]?.expiresAt).toBe(new Date(T0 + 30 * DAY).toISOString());
    await blocklist.add({ username: 'peer', filename: FILE_A, expiresInDays: 1 });
    await failAt(T0 + 2, 'peer', 'invalid_file');
    expect((await blocklist.list())[0]?.expiresAt).toBe(new Date(T0 + 2 + 7 * DAY).toISOString());
  });

  it('counts concurrent failures of one peer exactly (no lost updates, one entry)', async () => {
    clock = T0;
    await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        blocklist.record(failed('racer', 'timeout', T0 + i, `@@f${i}.flac`)),
      ),
    );
    expect(await blocked('racer')).toBe(true);
    const entries = await blocklist.list();
    expect(entries.map((e) => [e.username, e.failureCount])).toEqual([['racer', 3]]);

    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? blocklist.record(failed('racer2', 'transfer_failed', T0 + i))
          : blocklist.record(succeeded('racer2', T0 + i, 10, 100)),
      ),
    );
    const row = await statsRow('racer2');
    expect(row).toMatchObject({ successes: 6, failures: 6, bytes: 60, speed_samples: 6 });
    expect(JSON.parse(row?.failures_by_code ?? '')).toEqual({ transfer_failed: 6 });
    expect((await blocklist.list()).filter((e) => e.username === 'racer2')).toHaveLength(1);
  });

  it('start() records attempt.finished events and cleans up; stop() detaches', async () => {
    await blocklist.add({ username: 'stale', expiresInDays: 1 });
    clock = T0 + DAY;
    const stop = blocklist.start();
    try {
      await until(
        async () => (await db.db.selectFrom('blocklist').selectAll().execute()).length === 0,
      );
      for (let i = 0; i < 3; i++) bus.emit('attempt.finished', failed('via-bus', 'timeout', clock));
      await until(() => blocked('via-bus'));
    } finally {
      stop();
    }
    bus.emit('attempt.finished', succeeded('after-stop', clock, 1, 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await statsRow('after-stop')).toBeUndefined();
  });
});
