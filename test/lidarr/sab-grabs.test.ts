import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import type { Db } from '../../src/db/database.js';
import { NotFoundError } from '../../src/downloads/downloads.service.js';
import { createLidarrRepository } from '../../src/lidarr/lidarr.repository.js';
import { buildNzb, releaseKey, signRelease, type ReleaseIdentity } from '../../src/lidarr/nzb.js';
import { createSabService } from '../../src/lidarr/sab.service.js';
import { freshDb, testDialects, type TestDb } from '../helpers/db.js';

/**
 * The SABnzbd endpoint's grabs over a real database, with a stand-in album service: what Lidarr
 * sees when it sends an NZB again, and what a process that stopped mid-addfile leaves behind.
 */

const KEY = 'grab-test-signing-key-0123456789';
const RELEASE: ReleaseIdentity = {
  artist: 'Prism Avenue',
  album: 'Harbour Lights',
  year: 2019,
  provider: 'slskd',
  username: 'folderpeer',
  directory: 'Music\\Prism Avenue\\Harbour Lights (2019)',
  files: 3,
  size: 3_000_000,
  format: 'flac',
  bitRate: null,
};
const token = signRelease(RELEASE, KEY);
const NZB = buildNzb('Prism Avenue - Harbour Lights (2019) [FLAC]', token, 0);

/** Albums as SoulSpot's service answers them; `within` runs on the test's database, as in its transaction. */
function fakeAlbums(db: TestDb) {
  const made = new Map<string, AlbumDto>();
  return {
    made,
    create: async (
      body: { artist: string; album: string },
      within?: (tx: Db, albumId: string) => Promise<void>,
    ) => {
      const dto = {
        id: randomUUID(),
        artist: body.artist,
        album: body.album,
        status: 'wanted',
        folderSearch: { state: 'pending', error: null },
        tracks: [],
        createdAt: new Date(0).toISOString(),
        updatedAt: new Date(0).toISOString(),
        completedAt: null,
      } as unknown as AlbumDto;
      await within?.(db.db, dto.id);
      made.set(dto.id, dto);
      return dto;
    },
    get: (id: string) => {
      const dto = made.get(id);
      return dto ? Promise.resolve(dto) : Promise.reject(new NotFoundError(`Album ${id}`));
    },
    cancel: () => Promise.resolve(),
    retry: () => Promise.resolve(),
  };
}

describe.each(testDialects())('SABnzbd grabs (%s)', (dialect) => {
  let db: TestDb;
  let clock: number;
  beforeEach(async () => {
    db = await freshDb(dialect);
    clock = 1_900_000_000_000;
  });
  afterEach(async () => {
    await db.cleanup();
  });
  const sabWith = (albums: ReturnType<typeof fakeAlbums>) =>
    createSabService({
      repo: createLidarrRepository(db),
      albums: albums as never,
      signingKey: KEY,
      libraryDir: '/lib',
      pathMappings: () => [],
      paused: () => false,
      now: () => clock,
    });

  it('takes an NZB Lidarr removed before as a new grab, not the removed one again', async () => {
    const albums = fakeAlbums(db);
    const sab = sabWith(albums);
    const first = await sab.addFile(NZB, 'music', -100);
    const [firstId] = first.nzo_ids;
    // Lidarr gave up on it (or the user removed it), then grabs the same release again.
    await sab.deleteFromQueue([firstId as string]);
    clock += 60_000;
    const again = await sab.addFile(NZB, 'music', -100);
    expect(again.status).toBe(true);
    expect(again.nzo_ids[0]).not.toBe(firstId);
    expect(albums.made.size).toBe(2);
    // Lidarr finds what it just added in the queue.
    const queue = await sab.queue(0, 0, undefined);
    expect(queue.queue.slots.map((s) => s.nzo_id)).toEqual(again.nzo_ids);
  });
  it('takes over a claim a process left without its album (stopped mid-addfile)', async () => {
    const albums = fakeAlbums(db);
    const sab = sabWith(albums);
    // What a process that lost power after the claim and before the album leaves behind.
    await createLidarrRepository(db).claimGrab({
      nzo_id: 'SABnzbd_nzo_crashed',
      nzb_key: releaseKey(token),
      album_id: null,
      title: 'Prism Avenue - Harbour Lights (2019) [FLAC]',
      category: 'music',
      priority: -100,
      size: RELEASE.size,
      created_at: clock,
      removed_at: null,
    });
    clock += 10 * 60_000;
    // Lidarr waits for it: not queued for ever, but failed with a reason it shows.
    expect((await sab.queue(0, 0, undefined)).queue.slots).toEqual([]);
    const history = await sab.history(0, 0, undefined);
    expect(history.history.slots).toMatchObject([
      {
        nzo_id: 'SABnzbd_nzo_crashed',
        status: 'Failed',
        fail_message: expect.stringMatching(/stopped/),
      },
    ]);
    // The same NZB sent again is queued this time.
    const again = await sab.addFile(NZB, 'music', -100);
    expect(again.nzo_ids[0]).not.toBe('SABnzbd_nzo_crashed');
    expect(albums.made.size).toBe(1);
    expect((await sab.queue(0, 0, undefined)).queue.slots.map((s) => s.nzo_id)).toEqual(
      again.nzo_ids,
    );
  });

  it('answers a claim still being accepted with its nzo_id (a concurrent addfile)', async () => {
    const albums = fakeAlbums(db);
    const sab = sabWith(albums);
    await createLidarrRepository(db).claimGrab({
      nzo_id: 'SABnzbd_nzo_busy',
      nzb_key: releaseKey(token),
      album_id: null,
      title: 't',
      category: 'music',
      priority: -100,
      size: 1,
      created_at: clock,
      removed_at: null,
    });
    clock += 1_000;
    expect((await sab.addFile(NZB, 'music', -100)).nzo_ids).toEqual(['SABnzbd_nzo_busy']);
    expect(albums.made.size).toBe(0);
    expect((await sab.queue(0, 0, undefined)).queue.slots.map((s) => s.nzo_id)).toEqual([
      'SABnzbd_nzo_busy',
    ]);
  });
});

describe('the folder Lidarr is told to import', () => {
  it('is never the library itself or outside it (tracks filed under different folders)', async () => {
    const db = await freshDb('sqlite');
    try {
      const albums = fakeAlbums(db);
      const sab = createSabService({
        repo: createLidarrRepository(db),
        albums: albums as never,
        signingKey: KEY,
        libraryDir: '/lib',
        pathMappings: () => [],
        paused: () => false,
        now: () => 1_900_000_000_000,
      });
      const [id] = (await sab.addFile(NZB, 'music', -100)).nzo_ids;
      const dto = [...albums.made.values()][0] as unknown as Record<string, unknown>;
      // One track's album artist tag differed: the two files are in different artist folders,
      // whose only common folder is the library root.
      Object.assign(dto, {
        status: 'completed',
        completedAt: new Date(0).toISOString(),
        tracks: [
          {
            status: 'completed',
            libraryPath: 'Prism Avenue/Harbour Lights/01 - a.flac',
            source: null,
          },
          {
            status: 'completed',
            libraryPath: 'Various Artists/Harbour Lights/02 - b.flac',
            source: null,
          },
        ],
      });
      const [slot] = (await sab.history(0, 0, undefined)).history.slots;
      expect(slot?.nzo_id).toBe(id);
      // Lidarr would import (and move) the whole library from there.
      expect(slot?.storage).not.toBe('/lib');
      expect(slot).toMatchObject({
        status: 'Failed',
        storage: '',
        fail_message: expect.stringMatching(/one folder/),
      });
    } finally {
      await db.cleanup();
    }
  });
});
