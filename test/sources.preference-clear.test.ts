import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlbumTracker } from '../src/albums/album-tracker.js';
import { createAlbumsRepository } from '../src/albums/albums.repository.js';
import { createEventLog, type EventLog } from '../src/events/event-log.js';
import { createSourcesRepository } from '../src/sources/sources.repository.js';
import { createSourcesService } from '../src/sources/sources.service.js';
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

  it('clears every download not completed, two per chunk, and the album, each announced', async () => {
    await db.db
      .insertInto('albums')
      .values({
        id: 'al-1',
        artist: 'A',
        album: 'Gone Album',
        year: null,
        quality_profile_id: null,
        folder_provider: null,
        folder_username: null,
        folder_directory: null,
        folder_files: null,
        track_count: 1,
        created_at: T0,
        updated_at: T0,
        completed_at: null,
        preferred_provider: GONE,
      })
      .execute();
    const waiting = [1, 2, 3, 4].map(() => downloadRow({ preferred_provider: GONE }));
    const failed = downloadRow({ status: 'failed', preferred_provider: GONE });
    const completed = downloadRow({ status: 'completed', preferred_provider: GONE });
    const other = downloadRow({ preferred_provider: 'torznab:kept' });
    await db.db
      .insertInto('downloads')
      .values([...waiting, failed, completed, other])
      .execute();

    const repo = createSourcesRepository(db);
    await repo.insert({
      id: 'gone',
      role: 'indexer',
      type: 'torznab',
      settings: '{}',
      enabled: 1,
      position: 0,
      updated_at: T0,
    });
    const tracker = createAlbumTracker({ repo: createAlbumsRepository(db.db), now: () => T0 + 1 });
    const service = createSourcesService({
      repo,
      events,
      albumsChanged: (tx, ids) => tracker.albumsChanged(tx, ids),
      environment: [],
      health: () => undefined,
      applied: async () => undefined,
      secret: () => undefined,
      log: { warn: () => undefined },
      now: () => T0 + 1,
      clearChunk: 2,
    });
    await service.remove('indexer', 'gone');

    const rows = await db.db.selectFrom('downloads').select(['id', 'preferred_provider']).execute();
    const preferred = new Map(rows.map((r) => [r.id, r.preferred_provider ?? null]));
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
});
