import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptsTable } from '../src/db/schema.js';
import { createAlbumReleaseRepository } from '../src/downloads/album-release.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

/** The siblings' releases of an album track, read with one statement; real databases. */

const T0 = 1_800_000_000_000;
const RELEASE = JSON.stringify({ protocol: 'torrent', indexer: 'local', title: 'x' });

function attemptRow(
  downloadId: string,
  filename: string,
  state: string,
  o: Partial<Insertable<AttemptsTable>> = {},
): Insertable<AttemptsTable> {
  return {
    id: randomUUID(),
    download_id: downloadId,
    round: 0,
    provider: 'qbittorrent',
    username: 'local',
    filename,
    size: 100,
    extension: 'flac',
    batch_id: randomUUID(),
    release: RELEASE,
    state,
    requeues: 0,
    created_at: T0,
    updated_at: T0,
    ...o,
  } as Insertable<AttemptsTable>;
}

describe.each(testDialects())('the releases of an album’s other tracks on %s', (dialect) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const album = async (id: string) =>
    db.db
      .insertInto('albums')
      .values({
        id,
        artist: 'A',
        album: id,
        year: null,
        quality_profile_id: null,
        folder_provider: null,
        folder_username: null,
        folder_directory: null,
        folder_files: null,
        track_count: 3,
        created_at: T0,
        updated_at: T0,
        completed_at: null,
      })
      .execute();

  it('lists what the siblings fetch, fetched, or found lacking; nothing else', async () => {
    await album('al-1');
    await album('al-2');
    const [me, two, three, elsewhere, loose] = [
      downloadRow({ album_id: 'al-1' }),
      downloadRow({ album_id: 'al-1' }),
      downloadRow({ album_id: 'al-1' }),
      downloadRow({ album_id: 'al-2' }),
      downloadRow(),
    ];
    await db.db.insertInto('downloads').values([me, two, three, elsewhere, loose]).execute();
    await db.db
      .insertInto('attempts')
      .values([
        // This track's own attempts are not its siblings'.
        attemptRow(me.id!, 'Mine', 'enqueued'),
        attemptRow(two.id!, 'Single', 'failed', {
          error_code: 'track_not_in_release',
          created_at: T0 + 1,
        }),
        attemptRow(two.id!, 'Album', 'enqueued', { created_at: T0 + 2 }),
        attemptRow(three.id!, 'Stalled', 'failed', { error_code: 'queue_timeout' }),
        attemptRow(three.id!, 'Gone', 'cancelled', { error_code: 'cancelled' }),
        attemptRow(three.id!, 'Album MP3', 'succeeded', { created_at: T0 + 3 }),
        attemptRow(three.id!, 'Queued', 'pending', { created_at: T0 + 4 }),
        // A Soulseek file is no release.
        attemptRow(three.id!, '@@peer\\file.flac', 'enqueued', {
          provider: 'slskd',
          username: 'peer',
          release: null,
        }),
        // Other albums' tracks, and tracks of no album, are nobody's siblings.
        attemptRow(elsewhere.id!, 'Other Album', 'enqueued'),
        attemptRow(loose.id!, 'Loose', 'succeeded'),
      ])
      .execute();
    const rows = await createAlbumReleaseRepository(db.db).siblingReleases('al-1', me.id!);
    expect(rows.map((r) => [r.filename, r.state, r.error_code])).toEqual([
      ['Single', 'failed', 'track_not_in_release'],
      ['Album', 'enqueued', null],
      ['Album MP3', 'succeeded', null],
      ['Queued', 'pending', null],
    ]);
    expect(rows[1]).toEqual({
      provider: 'qbittorrent',
      username: 'local',
      filename: 'Album',
      release: RELEASE,
      state: 'enqueued',
      error_code: null,
      created_at: T0 + 2,
    });
    expect(
      await createAlbumReleaseRepository(db.db).siblingReleases('al-2', elsewhere.id!),
    ).toEqual([]);
  });
});
