import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTagger, TagWorkerError } from '../src/library/tagging/tagger.js';
import type { TrackTags } from '../src/library/tagging/tags.js';
import { makeAudio } from './helpers/audio-formats.js';

const TAGS = { title: 'T', artist: 'A' } as Partial<TrackTags>;
const tags = (): TrackTags =>
  ({
    album: null,
    albumArtist: null,
    trackNumber: null,
    trackTotal: null,
    discNumber: null,
    discTotal: null,
    year: null,
    genre: null,
    isrc: null,
    musicbrainzRecordingId: null,
    musicbrainzReleaseId: null,
    musicbrainzArtistId: null,
    musicbrainzReleaseGroupId: null,
    ...TAGS,
  }) as TrackTags;

const standIn = new URL('./helpers/stand-in-tag.worker.ts', import.meta.url);

describe('tag worker supervision (timeouts, crashes, the jobs queued behind them)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-tag-worker-'));
  const source = path.join(root, 'in.flac');
  beforeAll(() => makeAudio(source, 'flac'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the timeout counts from when a job starts: 100 queued 20 ms jobs all pass a 300 ms limit', async () => {
    const tagger = createTagger({ timeoutMs: 300, entry: standIn });
    try {
      const jobs = Array.from({ length: 100 }, (_, i) =>
        tagger.write({ kind: 'tags', source, target: path.join(root, `slow${i}`), tags: tags() }),
      );
      const results = await Promise.allSettled(jobs);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      await tagger.close();
    }
  });

  it('one worker by default; with workers() = 2, two jobs at once run on two threads', async () => {
    const run = async (workers?: () => number): Promise<Set<number>> => {
      const tagger = createTagger({ entry: standIn, ...(workers ? { workers } : {}) });
      try {
        const results = await Promise.all(
          ['slow-a', 'slow-b', 'slow-c', 'slow-d'].map((n) =>
            tagger.write({ kind: 'tags', source, target: path.join(root, n), tags: tags() }),
          ),
        );
        return new Set(results.map((r) => r.threadId));
      } finally {
        await tagger.close();
      }
    };
    expect((await run()).size).toBe(1);
    expect((await run(() => 2)).size).toBe(2);
  });

  it.each([
    ['hang', 1],
    ['crash', 1],
    ['hang', 2],
    ['crash', 2],
  ] as const)(
    'a %s fails that job alone (transient), removes its temp file, and the rest still run (%i workers)',
    async (kind, workers) => {
      const dir = path.join(root, `${kind}-${workers}`);
      const tagger = createTagger({ timeoutMs: 400, entry: standIn, workers: () => workers });
      try {
        const names = ['a.flac', `${kind}.flac`, 'b.flac', 'c.flac'];
        await makeAudio(path.join(dir, 'keep'), 'flac', 0.1);
        const results = await Promise.allSettled(
          names.map((n) =>
            tagger.write({ kind: 'tags', source, target: path.join(dir, n), tags: tags() }),
          ),
        );
        expect(results.map((r) => r.status)).toEqual([
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        const error = (results[1] as PromiseRejectedResult).reason as Error;
        expect(error).toBeInstanceOf(TagWorkerError);
        for (const n of ['a.flac', 'b.flac', 'c.flac'])
          expect((await parseFile(path.join(dir, n))).common.title).toBe('T');
        // The killed job's temp file is removed once its thread is gone.
        await new Promise((r) => setTimeout(r, 200));
        expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
        expect(readdirSync(dir)).not.toContain(`${kind}.flac`);
      } finally {
        await tagger.close();
      }
    },
  );
});
