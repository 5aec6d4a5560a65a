// The finished file of a Usenet job on real folders: a job that unpacked to audio without the
// wanted track is that release lacking it (track_not_in_release, not blocked); one that unpacked
// to no audio at all is a bad release (invalid_file, blocked).
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finishedFile, SETTLE_MS } from './usenet-files.js';

const want = { artist: 'Tone', title: 'Second Wind', album: 'One Release' };

describe('finishedFile', () => {
  let root: string;
  beforeEach(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-usenet-files-')));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function job(files: string[]): Promise<string> {
    const folder = path.join(root, 'Tone - One Release');
    await mkdir(folder, { recursive: true });
    for (const f of files) await writeFile(path.join(folder, f), 'x'.repeat(100));
    return folder;
  }
  const request = (remotePath: string, o: { want?: typeof want } = {}) => ({
    provider: 'nzbget' as const,
    remotePath,
    mappings: [],
    root,
    waitedMs: SETTLE_MS,
    ...o,
  });

  it('audio files, none the wanted track: track_not_in_release', async () => {
    const folder = await job(['01 - Tone - First Light.flac', '03 - Tone - Third Rail.flac']);
    await expect(finishedFile(request(folder, { want }))).rejects.toMatchObject({
      code: 'track_not_in_release',
      message: expect.stringMatching(/None of the 2 audio files/),
    });
  });

  it.each([
    ['with a wanted track', { want }],
    ['without one', {}],
  ])('no audio file at all (%s): invalid_file, saying so', async (_, o) => {
    const folder = await job(['setup.exe', 'readme.nfo']);
    await expect(finishedFile(request(folder, o))).rejects.toMatchObject({
      code: 'invalid_file',
      message: expect.stringMatching(/holds no audio file \(2 files\)/),
    });
  });

  it('no audio yet, before the job has settled: not there yet', async () => {
    const folder = await job(['setup.exe']);
    expect(await finishedFile({ ...request(folder, { want }), waitedMs: 0 })).toBeNull();
  });

  it('the wanted track among others: that file', async () => {
    const folder = await job(['01 - Tone - First Light.flac', '02 - Tone - Second Wind.flac']);
    expect(await finishedFile(request(folder, { want }))).toBe(
      path.join(folder, '02 - Tone - Second Wind.flac'),
    );
  });
});
