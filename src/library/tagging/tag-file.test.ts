// The tag writer in this thread (not the worker), with node:fs/promises watched: the order of the
// rename and the directory's fsync is what makes a recorded step durable.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as FsPromises from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeAudio, makeImage } from '../../../test/helpers/audio-formats.js';
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

  it('fsyncs the folder after a rename over an earlier working copy, before it resolves', async () => {
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

  it('a new name: the file is fsynced before its rename, the folder is left to the placement', async () => {
    const target = path.join(root, 'fresh', 'Track.flac');
    await mkdir(path.dirname(target), { recursive: true });
    events.length = 0;
    const digest = await writeTaggedCopy({
      kind: 'tags',
      source: path.join(root, 'in.flac'),
      target,
      tags: title('T'),
    });
    const renamed = events.indexOf(`rename ${target}`);
    expect(renamed).toBeGreaterThan(0);
    expect(events[renamed - 1]).toMatch(/^sync .*\.part$/);
    expect(events).not.toContain(`sync ${path.dirname(target)}`);
    // The digest is of the file as it lies at the target.
    expect(digest).toBe(createHash('sha256').update(readFileSync(target)).digest('hex'));
  });
});

describe('tagging in memory', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-tagmem-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['flac', 'mp3', 'm4a', 'ogg', 'opus'] as const)(
    '%s: the bytes from data given with the job are those tagging a copy on disk gives',
    async (format) => {
      const source = path.join(root, `in.${format}`);
      await makeAudio(source, format, 0.3);
      await makeImage(path.join(root, 'cover.jpg'), 'red');
      const cover = {
        mime: 'image/jpeg' as const,
        data: readFileSync(path.join(root, 'cover.jpg')),
      };
      const base = { kind: 'tags+cover', tags: title('Ω'), cover } as const;
      // The job's bytes on a SharedArrayBuffer, as post-processing sends them: left unchanged.
      const bytes = readFileSync(source);
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
      shared.set(bytes);
      const memory = path.join(root, `memory.${format}`);
      await writeTaggedCopy({ ...base, source, data: shared, target: memory });
      expect(Buffer.from(shared).equals(bytes)).toBe(true);
      // On disk: node-taglib-sharp on a staged copy, as for a file over IN_MEMORY_MAX_BYTES.
      const staged = path.join(root, `.staged.${format}.part`);
      await copyFile(source, staged);
      const disk = path.join(root, `disk.${format}`);
      await writeTaggedCopy({ ...base, source: staged, staged: true, target: disk });
      expect(readFileSync(memory).equals(readFileSync(disk))).toBe(true);
      expect(readFileSync(memory).equals(bytes)).toBe(false);
    },
  );
});

function title(t: string): TrackTags {
  const fields = ['artist', 'album', 'albumArtist', 'trackNumber', 'trackTotal', 'discNumber'];
  const rest = ['discTotal', 'year', 'genre', 'isrc', 'musicbrainzRecordingId'];
  const ids = ['musicbrainzReleaseId', 'musicbrainzArtistId', 'musicbrainzReleaseGroupId'];
  const blank = Object.fromEntries([...fields, ...rest, ...ids].map((k) => [k, null]));
  return { ...blank, title: t } as TrackTags;
}
