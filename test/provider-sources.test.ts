import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBlocklistService,
  type BlocklistService,
} from '../src/blocklist/blocklist.service.js';
import * as migration019 from '../src/db/migrations/019_provider_sources.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createEventBus, type AttemptFinished } from '../src/events/event-bus.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

/**
 * Sources are per provider (migration 019): blocks, failures and track records of a name at one
 * provider say nothing about the same name at another, and rows from before the migration are
 * slskd's. Real databases, both dialects.
 */

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const FILE = '@@music\\Artist\\Album\\01 - Song.flac';

const finished = (
  provider: string,
  username: string,
  o: Partial<AttemptFinished> = {},
): AttemptFinished => ({
  downloadId: 'download-1',
  provider,
  username,
  filename: FILE,
  outcome: 'failed',
  errorCode: 'transfer_failed',
  errorMessage: 'it failed',
  bytes: 0,
  averageSpeed: null,
  at: T0,
  ...o,
});

describe.each(testDialects())('sources per provider on %s', (dialect) => {
  let db: TestDb;
  let blocklist: BlocklistService;
  const raw = () => db.db as unknown as Kysely<unknown>;

  beforeEach(async () => {
    db = await freshDb(dialect);
    blocklist = createBlocklistService({
      handle: db,
      bus: createEventBus(),
      now: () => T0,
      settings: { failureThreshold: 2, windowMs: DAY, blockMs: 7 * DAY },
      providers: ['slskd', 'qbittorrent', 'sabnzbd'],
    });
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('migration 019 makes the rows before it slskd’s and keys them by provider', async () => {
    // Back to the shape of migration 018 and before, with rows written then.
    await migration019.down(raw());
    await sql`INSERT INTO blocklist (id, username, filename, file_key, reason, source,
      failure_count, created_at, expires_at) VALUES ('b1', 'alice', '', 'k', NULL, 'manual', 0,
      ${T0}, NULL)`.execute(raw());
    await sql`INSERT INTO peer_stats (username, successes, failures, failures_by_code, bytes,
      speed_samples, average_speed, last_failure_at, updated_at)
      VALUES ('alice', 4, 1, '{"transfer_failed":1}', 1000, 2, 512.5, ${T0}, ${T0})`.execute(raw());
    await sql`INSERT INTO peer_failures (id, username, filename, error_code, at)
      VALUES ('f1', 'alice', 'x', 'transfer_failed', ${T0})`.execute(raw());

    await migration019.up(raw());

    const rows = async (table: string) =>
      (
        await sql<{
          provider: string;
          username: string;
        }>`SELECT provider, username FROM ${sql.table(table)}`.execute(raw())
      ).rows;
    expect(await rows('blocklist')).toEqual([{ provider: 'slskd', username: 'alice' }]);
    expect(await rows('peer_stats')).toEqual([{ provider: 'slskd', username: 'alice' }]);
    expect(await rows('peer_failures')).toEqual([{ provider: 'slskd', username: 'alice' }]);
    const stats = await db.db.selectFrom('peer_stats').selectAll().executeTakeFirstOrThrow();
    expect(stats).toMatchObject({ successes: 4, failures: 1, average_speed: 512.5 });
    expect(Number(stats.bytes)).toBe(1000);

    // The old entry is still in force for the slskd peer, and only for it.
    const filter = await blocklist.sourceFilter([
      { provider: 'slskd', username: 'alice' },
      { provider: 'torznab', username: 'alice' },
    ]);
    expect(filter.isBlocked({ provider: 'slskd', username: 'alice', filename: FILE })).toBe(true);
    expect(filter.isBlocked({ username: 'alice', filename: FILE })).toBe(true);
    expect(filter.isBlocked({ provider: 'torznab', username: 'alice', filename: FILE })).toBe(
      false,
    );
    expect(filter.peerRecord('alice')).toEqual({ successes: 4, failures: 1 });
    expect(filter.peerRecord('alice', 'torznab')).toBeUndefined();

    // The same name at a second provider is a second row under every key.
    await sql`INSERT INTO peer_stats (provider, username, updated_at)
      VALUES ('torznab', 'alice', ${T0})`.execute(raw());
    await expect(
      sql`INSERT INTO peer_stats (provider, username, updated_at)
        VALUES ('torznab', 'alice', ${T0})`.execute(raw()),
    ).rejects.toThrow();
  });

  it('blocks and counts failures per (provider, source)', async () => {
    // Two failures block at this threshold; one at each provider blocks neither.
    await blocklist.record(finished('slskd', 'bob'));
    await blocklist.record(finished('qbittorrent', 'bob'));
    let filter = await blocklist.sourceFilter([
      { provider: 'slskd', username: 'bob' },
      { provider: 'qbittorrent', username: 'bob' },
    ]);
    expect(filter.isBlocked({ provider: 'slskd', username: 'bob', filename: FILE })).toBe(false);
    expect(filter.isBlocked({ provider: 'qbittorrent', username: 'bob', filename: FILE })).toBe(
      false,
    );

    await blocklist.record(finished('qbittorrent', 'bob', { at: T0 + 1 }));
    filter = await blocklist.sourceFilter([
      { provider: 'slskd', username: 'bob' },
      { provider: 'qbittorrent', username: 'bob' },
    ]);
    expect(filter.isBlocked({ provider: 'slskd', username: 'bob', filename: FILE })).toBe(false);
    expect(filter.isBlocked({ provider: 'qbittorrent', username: 'bob', filename: FILE })).toBe(
      true,
    );
    expect(filter.peerRecord('bob', 'slskd')).toEqual({ successes: 0, failures: 1 });
    expect(filter.peerRecord('bob', 'qbittorrent')).toEqual({ successes: 0, failures: 2 });
    const entries = await db.db.selectFrom('blocklist').select(['provider', 'username']).execute();
    expect(entries).toEqual([{ provider: 'qbittorrent', username: 'bob' }]);

    // A success is the source's own too.
    await blocklist.record(finished('slskd', 'bob', { outcome: 'succeeded', errorCode: null }));
    filter = await blocklist.sourceFilter([{ provider: 'slskd', username: 'bob' }]);
    expect(filter.peerRecord('bob', 'slskd')).toEqual({ successes: 1, failures: 1 });
  });

  it('blocks an indexer release, never the indexer that listed it', async () => {
    const listed = (title: string, o: Partial<AttemptFinished> = {}) =>
      finished('qbittorrent', 'local-indexer', { filename: title, release: true, ...o });
    const isBlocked = async (title: string) =>
      (
        await blocklist.sourceFilter([{ provider: 'qbittorrent', username: 'local-indexer' }])
      ).isBlocked({ provider: 'qbittorrent', username: 'local-indexer', filename: title });
    // Two failures of two releases: at this threshold a peer would be blocked; no release is.
    await blocklist.record(listed('Artist - Album [FLAC]'));
    await blocklist.record(listed('Artist - Album [MP3 320]', { at: T0 + 1 }));
    expect(await isBlocked('Artist - Album [FLAC]')).toBe(false);
    expect(await isBlocked('Artist - Other Album [FLAC]')).toBe(false);
    // The second failure of one release blocks that release only.
    await blocklist.record(listed('Artist - Album [FLAC]', { at: T0 + 2 }));
    expect(await isBlocked('Artist - Album [FLAC]')).toBe(true);
    expect(await isBlocked('Artist - Album [MP3 320]')).toBe(false);
    expect(await isBlocked('Artist - Other Album [FLAC]')).toBe(false);
    // A failure that would block a whole peer at once blocks the release alone.
    await blocklist.record(
      listed('Artist - Banned [FLAC]', { errorCode: 'user_blocked', at: T0 + 3 }),
    );
    expect(await isBlocked('Artist - Banned [FLAC]')).toBe(true);
    expect(await isBlocked('Artist - Other Album [FLAC]')).toBe(false);
    const rows = await db.db.selectFrom('blocklist').select(['username', 'filename']).execute();
    expect(rows.map((r) => r.filename).sort()).toEqual([
      'Artist - Album [FLAC]',
      'Artist - Banned [FLAC]',
    ]);
    // The indexer's record still counts every release's outcome.
    const filter = await blocklist.sourceFilter([
      { provider: 'qbittorrent', username: 'local-indexer' },
    ]);
    expect(filter.peerRecord('local-indexer', 'qbittorrent')).toEqual({
      successes: 0,
      failures: 4,
    });
  });

  it('one stall of an album release is one failure of it, however many tracks it failed', async () => {
    const source = { provider: 'qbittorrent', username: 'local-indexer' };
    const title = 'Artist - Stalled Album [FLAC]';
    const isBlocked = async () =>
      (await blocklist.sourceFilter([source])).isBlocked({ ...source, filename: title });
    const stall = (downloadId: string, at: number) =>
      finished('qbittorrent', 'local-indexer', {
        downloadId,
        filename: title,
        release: true,
        sharedJob: true,
        errorCode: 'queue_timeout',
        errorMessage: 'no seeders',
        at,
      });
    // The torrent stalls: each of its four tracks' attempts fails at once. At a threshold of 2
    // that is still one failure of the release, not four.
    for (const [i, id] of ['t1', 't2', 't3', 't4'].entries())
      await blocklist.record(stall(id, T0 + i));
    expect(await isBlocked()).toBe(false);
    // A track that tries it again and fails again is the release's second failure: blocked.
    await blocklist.record(stall('t2', T0 + 60_000));
    expect(await isBlocked()).toBe(true);
    const entry = await db.db
      .selectFrom('blocklist')
      .select(['filename', 'failure_count'])
      .where('filename', '=', title)
      .executeTakeFirstOrThrow();
    expect(entry.failure_count).toBe(2);
    // The indexer's own record still counts every attempt's outcome.
    const filter = await blocklist.sourceFilter([source]);
    expect(filter.peerRecord('local-indexer', 'qbittorrent')?.failures).toBe(5);

    // An NZB is each track's own job: two tracks failing on one are two failures (blocked).
    const nzb = 'Artist - Broken Album [FLAC] (nzb)';
    for (const [i, downloadId] of ['n1', 'n2'].entries())
      await blocklist.record(
        finished('sabnzbd', 'local-indexer', {
          downloadId,
          filename: nzb,
          release: true,
          sharedJob: false,
          errorCode: 'queue_timeout',
          at: T0 + 100_000 + i,
        }),
      );
    const usenet = { provider: 'sabnzbd', username: 'local-indexer' };
    expect((await blocklist.sourceFilter([usenet])).isBlocked({ ...usenet, filename: nzb })).toBe(
      true,
    );
  });

  it('a release without one album track is not blocked for the others; a bad release still is', async () => {
    const source = { provider: 'qbittorrent', username: 'local-indexer' };
    const title = 'Artist - Album - Second Song [FLAC]';
    const isBlocked = async (filename: string) =>
      (await blocklist.sourceFilter([source])).isBlocked({ ...source, filename });
    // Three tracks of an album try a release that holds only one other track: each is turned
    // away for itself, and the release stays open to the track it does hold.
    for (const [i, downloadId] of ['track-1', 'track-3', 'track-4'].entries()) {
      await blocklist.record(
        finished('qbittorrent', 'local-indexer', {
          downloadId,
          filename: title,
          release: true,
          errorCode: 'track_not_in_release',
          errorMessage: 'None of the 1 files of the torrent is the wanted track',
          at: T0 + i,
        }),
      );
    }
    expect(await isBlocked(title)).toBe(false);
    expect(await db.db.selectFrom('blocklist').selectAll().execute()).toEqual([]);
    // Nor is the indexer blamed for a release being a single.
    expect(
      (await blocklist.sourceFilter([source])).peerRecord('local-indexer', 'qbittorrent'),
    ).toEqual({ successes: 0, failures: 0 });
    // A release the indexer no longer has (HTTP 404), or whose NZB lost articles, is blocked.
    await blocklist.record(
      finished('qbittorrent', 'local-indexer', {
        filename: 'Artist - Gone [FLAC]',
        release: true,
        errorCode: 'file_not_found',
        at: T0 + 5,
      }),
    );
    expect(await isBlocked('Artist - Gone [FLAC]')).toBe(true);
    // A fake release (a setup.exe, no audio at all) is bad itself: invalid_file, blocked at once.
    await blocklist.record(
      finished('qbittorrent', 'local-indexer', {
        filename: 'Artist - Album [FLAC] setup',
        release: true,
        errorCode: 'invalid_file',
        errorMessage: 'None of the 2 files of the torrent is audio',
        at: T0 + 5,
      }),
    );
    expect(await isBlocked('Artist - Album [FLAC] setup')).toBe(true);
    expect(await isBlocked(title)).toBe(false);
    // A Soulseek peer that stopped sharing a file: that file is blocked, as always.
    await blocklist.record(finished('slskd', 'peer', { errorCode: 'file_not_found', at: T0 + 6 }));
    const peer = await blocklist.sourceFilter([{ provider: 'slskd', username: 'peer' }]);
    expect(peer.isBlocked({ provider: 'slskd', username: 'peer', filename: FILE })).toBe(true);
  });

  it('adds a manual entry for the provider named, slskd when none is', async () => {
    const plain = await blocklist.add({ username: 'carol' });
    const other = await blocklist.add({ provider: 'sabnzbd', username: 'carol' });
    // A provider not configured is refused, naming the field.
    await expect(blocklist.add({ provider: 'nzbget', username: 'carol' })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^body\/provider: no provider "nzbget"/),
    });
    expect(plain.created && other.created).toBe(true);
    expect(plain.entry.id).not.toBe(other.entry.id);
    const again = await blocklist.add({ username: 'carol', reason: 'again' });
    expect(again).toMatchObject({ created: false, entry: { id: plain.entry.id, reason: 'again' } });
    const rows = await db.db
      .selectFrom('blocklist')
      .select(['provider', 'username'])
      .orderBy('provider')
      .execute();
    expect(rows).toEqual([
      { provider: 'sabnzbd', username: 'carol' },
      { provider: 'slskd', username: 'carol' },
    ]);
  });

  it('counts a source’s open attempts at its own provider only (the per-source limit)', async () => {
    const repo = createDownloadRepository(db);
    const now = T0;
    await db.db
      .insertInto('downloads')
      .values(downloadRow({ id: 'd1', status: 'queued', created_at: now }))
      .execute();
    await db.db
      .insertInto('attempts')
      .values({
        id: 'a1',
        download_id: 'd1',
        round: 0,
        provider: 'slskd',
        username: 'dave',
        filename: FILE,
        size: 1,
        extension: 'flac',
        batch_id: 'batch-1',
        state: 'enqueued',
        requeues: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect(await repo.activeAttemptsAt({ provider: 'slskd', username: 'dave' })).toBe(1);
    expect(await repo.activeAttemptsAt({ provider: 'qbittorrent', username: 'dave' })).toBe(0);
    // The slot lock is taken per source (a no-op on SQLite, whose writers are serialized).
    await db.writeTx((tx) => repo.lockSource({ provider: 'slskd', username: 'dave' }, tx));
  });
});
