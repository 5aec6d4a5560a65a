// A hostile (or confused) slskd: its events log names files outside the downloads folder, directly
// or through a symlink. SoulSpot must refuse them as file_not_found without reading, copying or
// deleting them, and without blaming the peer. And a realistic slskd: the file lands seconds after
// "Completed, Succeeded", through a slow cross-device copy, among other and older events; SoulSpot
// files the right bytes, never the half-copied file nor the older record's decoy.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { filesUnder, sha } from '../helpers/files.js';
import { startStack, type Stack } from '../helpers/stack.js';

const TRACK = {
  artist: 'Mallory',
  title: 'Trap',
  album: 'Outside',
  trackNumber: 1,
  durationSeconds: 3,
};
const REMOTE = '@@m4l\\Music\\Mallory\\Outside\\01 - Trap.flac';

describe('slskd reports a path outside the downloads folder', () => {
  let stack: Stack | undefined;
  let work: string;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['an absolute path elsewhere', (victim: string) => victim],
    ['a path inside that resolves outside through a symlink', (_v: string, link: string) => link],
  ])(
    '%s: failed as file_not_found, the file there untouched, the peer not blamed',
    async (_n, reported) => {
      work = mkdtempSync(path.join(tmpdir(), 'soulspot-hostile-'));
      const track = path.join(work, 'share', 'trap.flac');
      await makeTone(track, { seconds: 3, frequency: 700, format: 'flac' });
      // A real, valid audio file outside: exactly what a confused SoulSpot would happily file.
      const outside = path.join(work, 'outside');
      mkdirSync(outside);
      const victim = path.join(outside, 'precious.flac');
      await copyFile(track, victim);
      const before = statSync(victim);

      stack = await startStack({
        users: [{ username: 'mallory', files: [{ remotePath: REMOTE, localPath: track }] }],
      });
      const downloads = path.join(stack.root, 'slskd', 'downloads');
      symlinkSync(outside, path.join(downloads, 'Escape'));
      stack.emulator.setBehaviour('mallory', {
        localFilename: reported(victim, path.join(downloads, 'Escape', 'precious.flac')),
      });

      const created = await stack.api<DownloadDto>('POST', '/api/downloads', TRACK);
      expect(created.status).toBe(201);
      const [d] = await stack.waitFor(
        (items) => items[0]?.status === 'failed' || items[0]?.status === 'completed',
      );
      expect(d?.status).toBe('failed');
      expect(d?.errorCode).toBe('file_not_found');
      expect(d?.errorMessage).toMatch(/outside the downloads folder/);
      // Never read into the library, never moved or deleted.
      expect(filesUnder(stack.config.libraryDir)).toEqual([]);
      expect(readFileSync(victim)).toEqual(readFileSync(track));
      expect(statSync(victim).mtimeMs).toBe(before.mtimeMs);
      expect(statSync(victim).ino).toBe(before.ino);
      // Not the peer's fault: no block.
      const blocks = await stack.api<{ items: unknown[] }>('GET', '/api/blocklist');
      expect(blocks.body.items).toEqual([]);
    },
  );
});

describe('slskd moves the file seconds after success, copying across devices, in a noisy log', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('files the right bytes once the move is done', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'soulspot-landing-'));
    try {
      const track = path.join(work, 'trap.flac');
      await makeTone(track, { seconds: 3, frequency: 710, format: 'flac' });
      const size = statSync(track).size;
      stack = await startStack({
        users: [{ username: 'mallory', files: [{ remotePath: REMOTE, localPath: track }] }],
        emulator: {
          landing: {
            moveDelayMs: 3000,
            // The copy takes about two seconds more.
            crossDeviceMove: { bytesPerSecond: Math.ceil(size / 2) },
            extraEvents: true,
          },
        },
      });
      const created = await stack.api<DownloadDto>('POST', '/api/downloads', TRACK);
      expect(created.status).toBe(201);
      const [d] = await stack.waitFor(
        (items) => items[0]?.status === 'failed' || items[0]?.status === 'completed',
        60_000,
      );
      expect(d?.status, `${d?.errorCode} ${d?.errorMessage}`).toBe('completed');
      expect(sha(d?.libraryPath ?? '')).toBe(sha(track));
      expect(filesUnder(stack.config.libraryDir)).toEqual([d?.libraryPath]);
      expect(stack.emulator.enqueues).toHaveLength(1);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
