import { describe, expect, it } from 'vitest';
import { ALBUM_WIRE_STATUSES, type AlbumDto } from '../albums/albums.dto.js';
import {
  albumFolder,
  importFolder,
  NOT_ONE_FOLDER,
  historySlot,
  queueSlot,
  SAB_PRIORITIES,
  SAB_VIEW,
  sabTime,
} from './sab.mapping.js';

/** Statuses Lidarr's Sabnzbd.GetQueue shows as queued; any other queue status reads "downloading". */
const LIDARR_QUEUED = ['Queued', 'Grabbing', 'Propagating'];

const grab = {
  nzoId: 'SABnzbd_nzo_1',
  title: 'A - B (2019) [FLAC]',
  category: 'music',
  priority: -100,
  size: 3 * 1048576,
};

function album(status: string, tracks: Record<string, unknown>[] = []): AlbumDto {
  // Loose on purpose: the statuses are the wire's strings.
  const dto: Record<string, unknown> = {
    id: 'a',
    artist: 'A',
    album: 'B',
    year: 2019,
    qualityProfileId: null,
    status,
    folderSearch: { state: 'done', error: null },
    trackCount: tracks.length,
    counts: { waiting: 0, working: 0, completed: 0, failed: 0, cancelled: 0 },
    folder: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:01:00.000Z',
    completedAt: null,
    tracks: tracks.map((t, i) => ({
      downloadId: String(i),
      title: `t${i}`,
      trackNumber: i + 1,
      discNumber: null,
      status: 'waiting' as never,
      errorCode: null,
      errorMessage: null,
      source: null,
      fromFolder: false,
      libraryPath: null,
      ...t,
    })),
  };
  return dto as unknown as AlbumDto;
}

describe('the SABnzbd view of an album', () => {
  it('has one row per album status, in the list and status Lidarr reads right', () => {
    expect(Object.keys(SAB_VIEW).sort()).toEqual([...ALBUM_WIRE_STATUSES].sort());
    for (const [status, view] of Object.entries(SAB_VIEW)) {
      if (view.list === 'queue') expect(['Queued', 'Downloading'], status).toContain(view.status);
      else expect(['Completed', 'Failed'], status).toContain(view.status);
      // Nothing unfinished is shown as finished, nothing finished as queued.
      const unfinished = ['searching', 'wanted', 'downloading'].includes(status);
      expect(view.list === 'queue', status).toBe(unfinished);
    }
    expect(LIDARR_QUEUED).toContain(SAB_VIEW.wanted.status);
  });

  it('writes timeleft as SabnzbdQueueTimeConverter parses it', () => {
    for (const s of [0, 59, 3600, 86_399, 400_000]) expect(sabTime(s)).toMatch(/^\d+:\d\d:\d\d$/);
    expect(sabTime(3725)).toBe('1:02:05');
  });

  it('counts sizes and progress from the tracks that have sources', () => {
    const slot = queueSlot(
      grab,
      album('downloading', [
        { status: 'completed', source: { size: 2 * 1048576 } as never },
        { status: 'downloading', source: { size: 2 * 1048576 } as never },
      ]),
      0,
    );
    expect(slot).toMatchObject({
      mb: '4.00',
      mbleft: '2.00',
      percentage: '50',
      status: 'Downloading',
      priority: 'Default',
    });
    // Before sources: the release's size, nothing done.
    expect(queueSlot(grab, null, 0)).toMatchObject({
      mb: '3.00',
      mbleft: '3.00',
      percentage: '0',
      status: 'Queued',
    });
    expect(Object.values(SAB_PRIORITIES)).toContain(
      queueSlot({ ...grab, priority: 7 }, null, 0).priority,
    );
  });

  it('says why a failed album failed', () => {
    const slot = historySlot(
      grab,
      album('failed', [{ status: 'failed', errorMessage: 'peer went away' }]),
      '',
    );
    expect(slot).toMatchObject({
      status: 'Failed',
      fail_message: 'peer went away',
      download_time: 60,
    });
    expect(historySlot(grab, album('completed'), '/lib/A/B').fail_message).toBe('');
  });

  it.each([
    [['/lib/A/B (2019)/01 x.flac', '/lib/A/B (2019)/02 y.flac'], '/lib/A/B (2019)'],
    [['/lib/A/B/Disc 1/01.flac', '/lib/A/B/Disc 2/01.flac'], '/lib/A/B'],
    [['C:\\lib\\A\\B\\01.flac'], 'C:/lib/A/B'],
    [[], null],
  ])('finds the album folder of %j', (paths, folder) => {
    expect(albumFolder(paths)).toBe(folder);
  });
});

describe('the folder Lidarr imports', () => {
  it('is the album folder inside the library, never the library or above it', () => {
    expect(importFolder('/lib', ['A/B/01.flac', 'A/B/02.flac'])).toEqual({ folder: '/lib/A/B' });
    expect(importFolder('/lib/', ['/lib/A/B/Disc 1/01.flac', 'A/B/Disc 2/01.flac'])).toEqual({
      folder: '/lib/A/B',
    });
    expect(importFolder('/lib', [])).toBeNull();
    for (const paths of [
      ['A/B/01.flac', 'C/B/02.flac'],
      ['01.flac'],
      ['../x/B/01.flac', '../x/B/02.flac'],
    ])
      expect(importFolder('/lib', paths), paths.join()).toEqual({ problem: NOT_ONE_FOLDER });
  });
});
