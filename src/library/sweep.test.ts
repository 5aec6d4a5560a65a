import {
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweeper, removeStaleTempFiles, sweepDownloads, type RecordedFile } from './sweep.js';

let work: string;
let downloads: string;
let library: string;

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-sweep-')));
  downloads = path.join(work, 'downloads');
  library = path.join(work, 'library');
  await mkdir(path.join(downloads, 'Album'), { recursive: true });
  await mkdir(library);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function file(name: string, content = 'audio'): Promise<string> {
  const full = path.join(downloads, 'Album', name);
  await writeFile(full, content);
  return full;
}

describe('sweepDownloads', () => {
  it('deletes recorded copies of finished downloads, reports unclaimed ones, keeps the rest', async () => {
    const finished = await file('finished.flac');
    const active = await file('active.flac');
    const kept = await file('disk-full.flac');
    const unknown = await file('someone-elses.flac');
    const resized = await file('resized.flac', 'a different, longer file');
    const shared = await file('shared.flac');
    const recorded: RecordedFile[] = [
      { path: finished, size: 5, need: 'finished' },
      { path: active, size: 5, need: 'active' },
      { path: kept, size: 5, need: 'kept' },
      { path: resized, size: 5, need: 'finished' },
      // Recorded by a finished download and an active one: the active one wins.
      { path: shared, size: 5, need: 'finished' },
      { path: shared, size: 5, need: 'active' },
    ];
    // Young files are left for a later sweep (a new download may be about to claim the name).
    expect((await sweepDownloads(downloads, recorded)).removed).toEqual([]);
    const result = await sweepDownloads(downloads, recorded, { minAgeMs: 0 });
    expect(result.removed).toEqual([finished]);
    expect(result.unclaimed).toEqual([unknown]);
    for (const f of [active, kept, unknown, resized, shared]) expect(await exists(f)).toBe(true);
    expect(await exists(finished)).toBe(false);
  });

  it('never deletes outside the downloads folder, even a recorded file reached through a symlink', async () => {
    const outside = path.join(work, 'outside');
    await mkdir(outside);
    const precious = path.join(outside, 'precious.flac');
    await writeFile(precious, 'audio');
    await symlink(outside, path.join(downloads, 'Escape'));
    const result = await sweepDownloads(
      downloads,
      [
        { path: path.join(downloads, 'Escape', 'precious.flac'), size: 5, need: 'finished' },
        { path: precious, size: 5, need: 'finished' },
      ],
      { minAgeMs: 0 },
    );
    expect(result.removed).toEqual([]);
    expect(await readFile(precious, 'utf8')).toBe('audio');
  });
});

describe('removeStaleTempFiles', () => {
  it('also removes name reservations (lock files) left by a crash', async () => {
    const album = path.join(library, 'A');
    await mkdir(album);
    const lock = path.join(album, '.01 - Song.flac.soulspot.lock');
    const real = path.join(album, '01 - Song.flac');
    await writeFile(lock, '');
    await writeFile(real, 'x');
    const old = new Date(Date.now() - 60 * 60_000);
    await utimes(lock, old, old);
    expect(await removeStaleTempFiles(library)).toBe(1);
    expect(await exists(lock)).toBe(false);
    expect(await exists(real)).toBe(true);
  });
});

describe('removeStaleTempFiles and working copies', () => {
  it('keeps a post-processing working copy for a day, even when told to remove all temp files', async () => {
    const album = path.join(library, 'W');
    await mkdir(album);
    const fresh = path.join(album, '.01 - Song.soulspot-work-0a1b2c3d.flac');
    const stale = path.join(album, '.02 - Other.soulspot-work-deadbeef.flac');
    const part = path.join(album, '.01 - Song.soulspot-work-0a1b2c3d.flac.soulspot-abcdef.part');
    for (const f of [fresh, stale, part]) await writeFile(f, 'x');
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    await utimes(fresh, hoursAgo(23), hoursAgo(23));
    await utimes(stale, hoursAgo(25), hoursAgo(25));
    // A second old, so "older than 0 ms" holds even when the sweep runs in the write's millisecond.
    await utimes(part, hoursAgo(1 / 3600), hoursAgo(1 / 3600));
    expect(await removeStaleTempFiles(library, { olderThanMs: 0 })).toBe(2);
    expect(await exists(fresh)).toBe(true);
    expect(await exists(stale)).toBe(false);
    expect(await exists(part)).toBe(false);
  });
});

describe('createSweeper', () => {
  it('sweeps both folders in one run and keeps the report', async () => {
    const finished = await file('finished.flac');
    const part = path.join(library, '.x.flac.soulspot-abcdef.part');
    await writeFile(part, 'partial');
    // A second old: a file's mtime can be a hair ahead of Date.now(), and "older than 0 ms"
    // would then not hold yet.
    const secondAgo = new Date(Date.now() - 1_000);
    await utimes(part, secondAgo, secondAgo);
    const reports: unknown[] = [];
    const sweeper = createSweeper({
      libraryDir: library,
      downloadsRoot: () => Promise.resolve(downloads),
      recordedFiles: () => Promise.resolve([{ path: finished, size: 5, need: 'finished' }]),
      intervalMs: 60_000,
      tempOlderThanMs: 0,
      downloadsMinAgeMs: 0,
      onReport: (r) => reports.push(r),
      onError: (e) => {
        throw e;
      },
    });
    const report = await sweeper.run();
    expect(report).toEqual({ tempFilesRemoved: 1, unclaimed: [], removed: [finished] });
    expect(sweeper.last).toEqual(report);
    expect(reports).toHaveLength(1);
    await sweeper.stop();
  });

  it('skips the downloads folder while it is unknown', async () => {
    const finished = await file('finished.flac');
    const sweeper = createSweeper({
      libraryDir: library,
      downloadsRoot: () => Promise.resolve(null),
      recordedFiles: () => Promise.resolve([{ path: finished, size: 5, need: 'finished' }]),
      intervalMs: 60_000,
      tempOlderThanMs: 0,
      onReport: () => undefined,
      onError: () => undefined,
    });
    expect(await sweeper.run()).toEqual({ tempFilesRemoved: 0, unclaimed: [], removed: [] });
    expect(await exists(finished)).toBe(true);
  });
});
