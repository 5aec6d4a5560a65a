// The tag writer in this thread (not the worker), with node:fs/promises watched: the order of the
// rename and the directory's fsync is what makes a recorded step durable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeAudio } from '../../../test/helpers/audio-formats.js';
import type { TrackTags } from './tags.js';

const events = vi.hoisted(() => [] as string[]);

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  const open: typeof fs.open = async (file, ...rest) => {
    const handle = await fs.open(file, ...rest);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      events.push(`sync ${String(file)}`);
      return sync();
    };
    return handle;
  };
  const rename: typeof fs.rename = async (from, to) => {
    await fs.rename(from, to);
    events.push(`rename ${String(to)}`);
  };
  return { ...fs, open, rename, default: { ...fs, open, rename } };
});

const { writeTaggedCopy } = await import('./tag-file.js');

describe('writeTaggedCopy durability', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-tagfile-'));
  beforeAll(() => makeAudio(path.join(root, 'in.flac'), 'flac', 0.5));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fsyncs the folder after the rename, before it resolves', async () => {
    const target = path.join(root, 'out', 'Track.flac');
    await makeAudio(target, 'flac', 0.1);
    events.length = 0;
    const fields = ['artist', 'album', 'albumArtist', 'trackNumber', 'trackTotal', 'discNumber'];
    const rest = ['discTotal', 'year', 'genre', 'isrc', 'musicbrainzRecordingId'];
    const ids = ['musicbrainzReleaseId', 'musicbrainzArtistId', 'musicbrainzReleaseGroupId'];
    const blank = Object.fromEntries([...fields, ...rest, ...ids].map((k) => [k, null]));
    const tags = { ...blank, title: 'T' } as TrackTags;
    await writeTaggedCopy({ kind: 'tags', source: path.join(root, 'in.flac'), target, tags });
    const renamed = events.indexOf(`rename ${target}`);
    expect(renamed).toBeGreaterThanOrEqual(0);
    expect(events.slice(renamed + 1)).toContain(`sync ${path.dirname(target)}`);
  });
});
