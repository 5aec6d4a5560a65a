import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { placeIntoLibrary } from './move.js';
import { planLibraryPath, type NamingPatterns } from './naming.js';
import type { TrackNaming } from './naming-pattern.js';

/** Names from patterns, placed with the real placement code on a real folder. */

let work: string;
let library: string;
let downloads: string;

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-naming-')));
  library = path.join(work, 'library');
  downloads = path.join(work, 'downloads');
  await mkdir(library);
  await mkdir(downloads);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const patterns: NamingPatterns = {
  // No track number in the name: two different tracks of one title share a name.
  namingPattern: '{Album Artist Name}/{Album Title} ({Release Year})/{Track Title}',
  multiDiscNamingPattern:
    '{Album Artist Name}/{Album Title} ({Release Year})/CD{medium}/{Track Title}',
};

const track = (overrides: Partial<TrackNaming>): TrackNaming => ({
  artist: 'Björk',
  album: 'Homogenic',
  title: 'Jóga',
  year: 1997,
  extension: 'flac',
  ...overrides,
});

async function file(name: string, content: string): Promise<string> {
  const at = path.join(downloads, name);
  await writeFile(at, content);
  return at;
}

async function place(t: TrackNaming, content: string, name: string) {
  const { segments } = planLibraryPath(t, patterns);
  return placeIntoLibrary(await file(name, content), library, segments, { adoptIdentical: true });
}

describe('pattern names placed into the library', () => {
  it('never overwrites: a clash gets " (2)", the same bytes again are adopted', async () => {
    const first = await place(track({}), 'take one', 'a.flac');
    const second = await place(track({ trackNumber: 9 }), 'take two', 'b.flac');
    const again = await place(track({}), 'take one', 'c.flac');
    expect(path.relative(library, first.path)).toBe('Björk/Homogenic (1997)/Jóga.flac');
    expect(path.relative(library, second.path)).toBe('Björk/Homogenic (1997)/Jóga (2).flac');
    expect(again).toMatchObject({ path: first.path, created: false });
    expect(await readFile(first.path, 'utf8')).toBe('take one');
    expect(await readFile(second.path, 'utf8')).toBe('take two');
  });

  it('files discs of a set in their own folders, hostile tags inside the library', async () => {
    const one = await place(track({ discNumber: 1, discTotal: 2 }), 'disc one', 'd1.flac');
    const two = await place(
      track({ discNumber: 2, album: '../../etc', title: 'passwd: x', year: null }),
      'disc two',
      'd2.flac',
    );
    expect(path.relative(library, one.path)).toBe('Björk/Homogenic (1997)/CD1/Jóga.flac');
    expect(path.relative(library, two.path)).toBe('Björk/_.._etc/CD2/passwd - x.flac');
    expect((await readdir(work)).sort()).toEqual(['downloads', 'library']);
  });
});
