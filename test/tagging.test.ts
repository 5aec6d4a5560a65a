import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { parseFile } from 'music-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTagger, TaggingError } from '../src/library/tagging/tagger.js';
import type { CoverImage, TrackTags } from '../src/library/tagging/tags.js';
import { makeAudio, makeImage, TAG_FORMATS } from './helpers/audio-formats.js';
import { filesUnder, sha } from './helpers/files.js';

const TAGS: TrackTags = {
  title: 'Ünïcode — Title: Part 1',
  artist: 'Björk & Friends',
  album: 'Post (Deluxe)',
  albumArtist: 'Björk',
  trackNumber: 3,
  trackTotal: 12,
  discNumber: 2,
  discTotal: 2,
  year: 1995,
  genre: 'Electronic',
  isrc: 'GBAAA9500123',
  musicbrainzRecordingId: '8f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
  musicbrainzReleaseId: '1f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
  musicbrainzArtistId: '2f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
  musicbrainzReleaseGroupId: '3f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
};

describe('tag writer (worker thread, node-taglib-sharp, read back with music-metadata)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-tagging-'));
  const tagger = createTagger();
  let jpeg: CoverImage;
  let png: CoverImage;

  beforeAll(async () => {
    await Promise.all(TAG_FORMATS.map((f) => makeAudio(path.join(root, `in.${f}`), f)));
    await makeImage(path.join(root, 'c.jpg'), 'red');
    await makeImage(path.join(root, 'c.png'), 'blue');
    jpeg = { mime: 'image/jpeg', data: new Uint8Array(await readFile(path.join(root, 'c.jpg'))) };
    png = { mime: 'image/png', data: new Uint8Array(await readFile(path.join(root, 'c.png'))) };
  });
  afterAll(async () => {
    await tagger.close();
    rmSync(root, { recursive: true, force: true });
  });

  it.each(TAG_FORMATS)('%s: every field and the front cover read back', async (format) => {
    const source = path.join(root, `in.${format}`);
    const target = path.join(root, 'out', `Track.${format}`);
    await makeAudio(target, format, 0.1); // an older file under the target name is replaced whole
    const before = sha(source);
    await tagger.write({ kind: 'tags', source, target, tags: TAGS });
    const cover = format === 'flac' ? png : jpeg;
    await tagger.write({ kind: 'cover', source: target, target, tags: TAGS, cover });

    expect(sha(source)).toBe(before); // the source is never written to
    const meta = await parseFile(target);
    const c = meta.common;
    expect(c.title).toBe(TAGS.title);
    expect(c.artist).toBe(TAGS.artist);
    expect(c.album).toBe(TAGS.album);
    expect(c.albumartist).toBe(TAGS.albumArtist);
    expect(c.track).toEqual({ no: 3, of: 12 });
    expect(c.disk).toEqual({ no: 2, of: 2 });
    expect(c.year).toBe(1995);
    expect(c.genre).toEqual(['Electronic']);
    expect(c.isrc).toEqual([TAGS.isrc]);
    expect(c.musicbrainz_recordingid).toBe(TAGS.musicbrainzRecordingId);
    expect(c.musicbrainz_albumid).toBe(TAGS.musicbrainzReleaseId);
    expect(c.musicbrainz_artistid).toEqual([TAGS.musicbrainzArtistId]);
    expect(c.musicbrainz_releasegroupid).toBe(TAGS.musicbrainzReleaseGroupId);
    expect(c.picture).toHaveLength(1);
    expect(c.picture![0]!.format).toBe(cover.mime);
    expect(Buffer.from(c.picture![0]!.data).equals(Buffer.from(cover.data))).toBe(true);
    // Still the same audio: the duration survives tagging.
    expect(meta.format.duration).toBeGreaterThan(1.9);
    expect(meta.format.duration).toBeLessThan(2.2);
    // No temp file left next to the target.
    const hidden = filesUnder(path.join(root, 'out')).filter((f) =>
      path.basename(f).startsWith('.'),
    );
    expect(hidden).toEqual([]);
  });

  it('mp3: one ID3v2.4 tag, no ID3v1', async () => {
    const target = path.join(root, 'v24.mp3');
    await tagger.write({ kind: 'tags', source: path.join(root, 'in.mp3'), target, tags: TAGS });
    const meta = await parseFile(target);
    expect(Object.keys(meta.native)).toEqual(['ID3v2.4']);
  });

  it('leaves fields that were not given as the file has them', async () => {
    const first = path.join(root, 'keep.flac');
    await tagger.write({
      kind: 'tags',
      source: path.join(root, 'in.flac'),
      target: first,
      tags: TAGS,
    });
    const blank = Object.fromEntries(
      Object.keys(TAGS).map((k) => [k, null]),
    ) as unknown as TrackTags;
    await tagger.write({
      kind: 'tags',
      source: first,
      target: first,
      tags: { ...blank, title: 'New' },
    });
    const c = (await parseFile(first)).common;
    expect(c.title).toBe('New');
    expect(c.album).toBe(TAGS.album);
    expect(c.isrc).toEqual([TAGS.isrc]);
  });

  it('a tag that does not read back as written is a TaggingError and the target is untouched', async () => {
    // ID3v2 has no way to store a purely numeric genre: readers take "13" as ID3v1 genre 13, "Pop".
    const target = path.join(root, 'numeric.mp3');
    await writeFile(target, 'old');
    const error = await tagger
      .write({
        kind: 'tags',
        source: path.join(root, 'in.mp3'),
        target,
        tags: { ...TAGS, genre: '13' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaggingError);
    expect((error as Error).message).toMatch(/genre: wanted "13", read "Pop"/);
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(filesUnder(root).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('a file that is not audio is a TaggingError; a missing one keeps its errno code', async () => {
    const junk = path.join(root, 'junk.flac');
    await writeFile(junk, Buffer.alloc(4096, 7));
    await expect(
      tagger.write({ kind: 'tags', source: junk, target: path.join(root, 'j.flac'), tags: TAGS }),
    ).rejects.toBeInstanceOf(TaggingError);
    const missing = await tagger
      .write({
        kind: 'tags',
        source: path.join(root, 'nope.flac'),
        target: path.join(root, 'n.flac'),
        tags: TAGS,
      })
      .catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(missing).not.toBeInstanceOf(TaggingError);
    expect((missing as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expect(stat(path.join(root, 'n.flac'))).rejects.toThrow();
  });

  it('runs off the event loop: on another thread, and timers keep firing while 20 files are tagged', async () => {
    const big = path.join(root, 'long.flac');
    await makeAudio(big, 'flac', 30);
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
      ticks++;
    }, 5);
    const started = performance.now();
    const threads = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { threadId: thread } = await tagger.write({
        kind: 'tags',
        source: big,
        target: path.join(root, `l${i}.flac`),
        tags: TAGS,
      });
      threads.add(thread);
    }
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // The work ran in the worker thread, never on this (the main) thread.
    expect([...threads]).toHaveLength(1);
    expect([...threads][0]).not.toBe(threadId);
    expect([...threads][0]).toBeGreaterThan(0);
    // No tagging call held the loop: the longest pause between ticks stays far below one job.
    expect(maxGap).toBeLessThan(250);
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
    console.log(
      `tagged 20 × 30 s FLAC in ${elapsed.toFixed(0)} ms, ${ticks} timer ticks, max gap ${maxGap.toFixed(0)} ms`,
    );
  });
});
