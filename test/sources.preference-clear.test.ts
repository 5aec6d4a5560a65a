import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlbumTracker } from '../src/albums/album-tracker.js';
import { createAlbumsRepository } from '../src/albums/albums.repository.js';
import { createEventLog, type EventLog } from '../src/events/event-log.js';
import type { CreateSourceBody } from '../src/sources/sources.dto.js';
import { createSourcesRepository } from '../src/sources/sources.repository.js';
import { CLOCK_SKEW_MS } from '../src/sources/preference-clear.js';
import { createSourcesService, type SourcesServiceDeps } from '../src/sources/sources.service.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

const T0 = 1_700_000_000_000;
const GONE = 'torznab:gone';

/**
 * Removing an indexer clears it as the provider to search first, in chunks after the removal:
 * each chunk its own transaction with its `downloads.changed` event, the albums with their
 * `album.updated`, a completed download left as its history. On both databases.
 */
describe.each(testDialects())('a removed indexer cleared from the preferences on %s', (dialect) => {
  let db: TestDb;
  let events: EventLog;
  beforeEach(async () => {
    db = await freshDb(dialect);
    events = createEventLog({ handle: db });
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const insertAlbum = (id: string, createdAt = T0) =>
    db.db
      .insertInto('albums')
      .values({
        id,
        artist: 'A',
        album: `Album ${id}`,
        year: null,
        quality_profile_id: null,
        folder_provider: null,
        folder_username: null,
        folder_directory: null,
        folder_files: null,
        track_count: 1,
        created_at: createdAt,
        updated_at: createdAt,
        completed_at: null,
        preferred_provider: GONE,
      })
      .execute();

  const serviceOf = (repo: SourcesServiceDeps['repo'], now: number) => {
    const tracker = createAlbumTracker({ repo: createAlbumsRepository(db.db), now: () => now });
    return createSourcesService({
      repo,
      events,
      albumsChanged: (tx, ids) => tracker.albumsChanged(tx, ids),
      environment: [],
      health: () => undefined,
      applied: async () => undefined,
      secret: () => undefined,
      log: { warn: () => undefined },
      now: () => now,
      clearChunk: 2,
    });
  };

  /** The indexer the cases remove, as the API stores one. */
  const insertGone = (repo: ReturnType<typeof createSourcesRepository>) =>
    repo.insert({
      id: 'gone',
      role: 'indexer',
      type: 'torznab',
      settings: '{}',
      enabled: 1,
      position: 0,
      updated_at: T0,
    });

  const preferences = async () => {
    const rows = await db.db.selectFrom('downloads').select(['id', 'preferred_provider']).execute();
    return new Map(rows.map((r) => [r.id, r.preferred_provider ?? null]));
  };

  it('clears every download not completed, two per chunk, and the album, each announced', async () => {
    await insertAlbum('al-1');
    const waiting = [1, 2, 3, 4].map(() => downloadRow({ preferred_provider: GONE }));
    const failed = downloadRow({ status: 'failed', preferred_provider: GONE });
    const completed = downloadRow({ status: 'completed', preferred_provider: GONE });
    const other = downloadRow({ preferred_provider: 'torznab:kept' });
    await db.db
      .insertInto('downloads')
      .values([...waiting, failed, completed, other])
      .execute();

    const repo = createSourcesRepository(db);
    await insertGone(repo);
    await serviceOf(repo, T0 + 1).remove('indexer', 'gone');

    const preferred = await preferences();
    for (const d of [...waiting, failed]) expect(preferred.get(d.id)).toBeNull();
    expect(preferred.get(completed.id)).toBe(GONE);
    expect(preferred.get(other.id)).toBe('torznab:kept');
    const album = await db.db
      .selectFrom('albums')
      .select('preferred_provider')
      .executeTakeFirstOrThrow();
    expect(album.preferred_provider).toBeNull();

    const logged = await events.read(0);
    const changed = logged
      .filter((e) => e.type === 'downloads.changed')
      .map((e) => JSON.parse(e.data) as { action: string; ids: string[] });
    // Five downloads at two per chunk: three transactions, three events, each id once.
    expect(changed.map((c) => c.ids.length)).toEqual([2, 2, 1]);
    expect(changed.every((c) => c.action === 'provider_removed')).toBe(true);
    expect(new Set(changed.flatMap((c) => c.ids))).toEqual(
      new Set([...waiting, failed].map((d) => d.id)),
    );
    const albums = logged.filter((e) => e.type === 'album.updated');
    expect(albums).toHaveLength(1);
    expect((JSON.parse(albums[0]!.data) as { preferredProvider: unknown }).preferredProvider).toBe(
      null,
    );
    expect(await repo.get('gone')).toBeUndefined();
  });

  it("an album's folder search closing during the clear cannot bring the removed id back", async () => {
    await insertAlbum('al-1');
    const repo = createSourcesRepository(db);
    await insertGone(repo);
    // The album's folder search closes right after the clear's first transaction: it makes its
    // track with the album's preference as it reads it then (album-search.ts, its closing write).
    let track: ReturnType<typeof downloadRow> | undefined;
    const closing: SourcesServiceDeps['repo'] = {
      ...repo,
      transaction: async (work) => {
        const result = await repo.transaction(work);
        if (track === undefined) {
          const album = await db.db
            .selectFrom('albums')
            .select('preferred_provider')
            .executeTakeFirstOrThrow();
          track = downloadRow({ album_id: 'al-1', preferred_provider: album.preferred_provider });
          await db.db.insertInto('downloads').values(track).execute();
        }
        return result;
      },
    };
    await serviceOf(closing, T0 + 1).remove('indexer', 'gone');
    expect(track).toBeDefined();
    expect((await preferences()).get(track!.id)).toBeNull();
  });

  it('creating an indexer clears only what was stored before it', async () => {
    const CREATE = T0 + 10_000;
    // Before the create by more than two processes' clocks may differ (CLOCK_SKEW_MS).
    const OLD = CREATE - CLOCK_SKEW_MS - 1;
    await insertAlbum('old', OLD);
    await insertAlbum('new', CREATE);
    const stale = downloadRow({ preferred_provider: GONE, created_at: OLD });
    // Made by the old album's folder search after the create: still the old album's stale id.
    const oldTrack = downloadRow({
      album_id: 'old',
      preferred_provider: GONE,
      created_at: CREATE + 5,
    });
    // Accepted once the create had committed, by a process whose clock is a second behind.
    const fresh = downloadRow({ preferred_provider: GONE, created_at: CREATE - 1_000 });
    const newTrack = downloadRow({
      album_id: 'new',
      preferred_provider: GONE,
      created_at: CREATE + 5,
    });
    await db.db.insertInto('downloads').values([stale, oldTrack, fresh, newTrack]).execute();

    const repo = createSourcesRepository(db);
    await repo.insert({
      id: 'qbittorrent',
      role: 'client',
      type: 'qbittorrent',
      settings: JSON.stringify({
        url: 'http://127.0.0.1:1',
        username: 'u',
        password: 'p',
        allowPrivateAddress: true,
      }),
      enabled: 1,
      position: 0,
      updated_at: T0,
    });
    const service = serviceOf(repo, CREATE);
    const created = await service.create('indexer', {
      id: 'gone',
      type: 'torznab',
      settings: {
        url: 'http://127.0.0.1:1/api',
        apiKey: 'k',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    } as unknown as CreateSourceBody);
    expect(created.id).toBe('gone');

    const preferred = await preferences();
    expect(preferred.get(stale.id)).toBeNull();
    expect(preferred.get(oldTrack.id)).toBeNull();
    expect(preferred.get(fresh.id)).toBe(GONE);
    expect(preferred.get(newTrack.id)).toBe(GONE);
    const albums = await db.db.selectFrom('albums').select(['id', 'preferred_provider']).execute();
    expect(new Map(albums.map((a) => [a.id, a.preferred_provider]))).toEqual(
      new Map([
        ['old', null],
        ['new', GONE],
      ]),
    );
    const changed = (await events.read(0))
      .filter((e) => e.type === 'downloads.changed')
      .flatMap((e) => (JSON.parse(e.data) as { ids: string[] }).ids);
    expect(new Set(changed)).toEqual(new Set([stale.id, oldTrack.id]));
  });

  it('an album accepted while the downloads are cleared is cleared too, and so is its track', async () => {
    const repo = createSourcesRepository(db);
    await insertGone(repo);
    const waiting = [1, 2, 3].map(() => downloadRow({ preferred_provider: GONE }));
    await db.db.insertInto('downloads').values(waiting).execute();
    // After the albums' clear and the first download chunk: a process whose provider set is a
    // poll behind accepts an album naming the id, and its folder search makes a track at once.
    let n = 0;
    const late = downloadRow({ album_id: 'late', preferred_provider: GONE });
    const hooked: SourcesServiceDeps['repo'] = {
      ...repo,
      transaction: async (work) => {
        const result = await repo.transaction(work);
        if (++n === 2) {
          await insertAlbum('late');
          await db.db.insertInto('downloads').values(late).execute();
        }
        return result;
      },
    };
    await serviceOf(hooked, T0 + 1).remove('indexer', 'gone');
    const album = await db.db
      .selectFrom('albums')
      .select('preferred_provider')
      .where('id', '=', 'late')
      .executeTakeFirstOrThrow();
    expect(album.preferred_provider).toBeNull();
    const preferred = await preferences();
    for (const d of [...waiting, late]) expect(preferred.get(d.id)).toBeNull();
  });
});
