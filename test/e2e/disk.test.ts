// A full library disk: the download ends `failed` with `disk_full`, nothing partial is left in the
// library, slskd's copy stays; once space returns, SoulSpot files it by itself without downloading
// it again. The library is a 1 MiB tmpfs, so this needs root (CI runs as root).
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { filesUnder, sha } from '../helpers/files.js';
import { waitUntil } from '../helpers/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mountTmpfs = (dir: string): void =>
  void execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir], {
    stdio: 'pipe',
  });
const unmount = (dir: string): void => void execFileSync('umount', [dir], { stdio: 'pipe' });

/** Why the tmpfs branch cannot run here, or null when it can (probed once: mount, then unmount). */
function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root: cannot mount a small tmpfs library';
  const probe = mkdtempSync(path.join(tmpdir(), 'soulspot-tmpfs-probe-'));
  try {
    mountTmpfs(probe);
    unmount(probe);
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    rmdirSync(probe);
  }
}
const skipReason = tmpfsUnavailable();
if (skipReason) console.warn(`disk.test.ts: the full-disk test is skipped (${skipReason})`);

const TRACK = {
  artist: 'Full Disk',
  title: 'No Room',
  album: 'Capacity',
  trackNumber: 7,
  durationSeconds: 3,
};
const REMOTE = (u: string) => `@@${u}\\Music\\Full Disk\\Capacity\\07 - No Room.flac`;

describe('a full library disk', () => {
  let root: string;
  let library: string;
  let mounted = false;
  let stack: Stack | undefined;

  beforeAll(() => {
    if (skipReason) return;
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-disk-'));
    library = path.join(root, 'library');
    mkdirSync(library);
    mountTmpfs(library);
    mounted = true;
  });
  afterAll(async () => {
    await stack?.close();
    if (mounted) {
      try {
        unmount(library);
      } catch {
        execFileSync('umount', ['-l', library], { stdio: 'pipe' }); // busy: detach it lazily
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== null)(
    `ends failed with disk_full, leaves nothing partial, and completes once space returns${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    async () => {
      const track = path.join(root, 'share', 'no-room.flac');
      const other = path.join(root, 'share', 'other.flac');
      await makeTone(track, { seconds: 3, frequency: 1000, format: 'flac' });
      await makeTone(other, { seconds: 3, frequency: 1100, format: 'flac' });
      // Fill the library so that 8 KiB stay free: less than the ~29 KB track.
      const filler = path.join(library, 'filler.bin');
      const { bavail, bsize } = statfsSync(library);
      writeFileSync(filler, Buffer.alloc(bavail * bsize - 8192));
      expect(statfsSync(library).bavail * statfsSync(library).bsize).toBeLessThan(
        readFileSync(track).length,
      );

      stack = await startStack({
        users: [
          { username: 'keeper', files: [{ remotePath: REMOTE('keeper'), localPath: track }] },
          // An alternative, which a full disk is no reason to use: it is not the source's fault.
          {
            username: 'spare',
            behaviour: { hasFreeUploadSlot: false },
            files: [{ remotePath: REMOTE('spare'), localPath: other }],
          },
        ],
        env: {
          SOULSPOT_LIBRARY_DIR: library,
          SOULSPOT_MIN_FREE_MB: '0',
          SOULSPOT_DISK_CHECK_SECONDS: '0.2',
        },
      });
      const s = stack;
      const seen: Array<{ at: number; status: string }> = [];
      s.soulspot.bus.on('download.updated', (d) => seen.push({ at: Date.now(), status: d.status }));
      const res = await s.api<DownloadDto>('POST', '/api/downloads', TRACK);
      expect(res.status).toBe(201);

      const [failed] = await s.waitFor(
        (items) => items[0]?.status === 'failed' || items[0]?.status === 'completed',
        15_000,
      );
      expect(failed!.status).toBe('failed');
      expect(failed!.errorCode).toBe('disk_full');
      expect(failed!.errorMessage).toBeTruthy();
      // Nothing partial or temporary in the library: only the filler.
      expect(filesUnder(library)).toEqual([filler]);
      // slskd's copy is still there, whole.
      const slskdDownloads = path.join(s.root, 'slskd', 'downloads');
      const kept = filesUnder(slskdDownloads).filter((f) => sha(f) === sha(track));
      expect(kept).toHaveLength(1);
      // Not the source's fault: it was downloaded once, and the alternative never asked for.
      const enqueued = () => s.emulator.enqueues.map((e) => e.username);
      expect(enqueued()).toEqual(['keeper']);

      // While the disk stays full, the download stays failed (no retry loop against a full disk).
      const failedAt = Date.now();
      await sleep(1_500);
      expect(
        seen.filter((x) => x.at > failedAt).map((x) => x.status),
        'status changes while the track still does not fit',
      ).toEqual([]);
      expect(filesUnder(library)).toEqual([filler]);

      unlinkSync(filler);
      const [done] = await s.waitFor((items) => items[0]?.status === 'completed', 10_000);
      expect(done!.errorCode).toBeNull();
      expect(filesUnder(library)).toEqual([done!.libraryPath]);
      expect(sha(done!.libraryPath!)).toBe(sha(track));
      expect(enqueued(), 'filed from the copy slskd kept, not downloaded again').toEqual([
        'keeper',
      ]);
      // With the library copy recorded, slskd's copy is removed: just after the completion is
      // committed (import.step.ts, removeSource), so it may still be there when the event arrives.
      await waitUntil(
        () => filesUnder(slskdDownloads).filter((f) => f.endsWith('.flac')).length === 0,
        { what: "slskd's copy to be removed", timeoutMs: 10_000 },
      );
    },
  );
});

describe('a read-only library', () => {
  let root: string;
  let library: string;
  let mounted = false;
  let stack: Stack | undefined;

  afterAll(async () => {
    await stack?.close();
    if (mounted) execFileSync('umount', ['-l', library], { stdio: 'pipe' });
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== null)(
    'ends failed with permission_denied, then files the track by itself once writable',
    async () => {
      root = mkdtempSync(path.join(tmpdir(), 'soulspot-ro-'));
      library = path.join(root, 'library');
      mkdirSync(library);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,ro', 'tmpfs', library], {
        stdio: 'pipe',
      });
      mounted = true;
      const file = path.join(root, 'ro.flac');
      await makeTone(file, { seconds: 3, frequency: 300, format: 'flac' });
      stack = await startStack({
        users: [{ username: 'ro', files: [{ remotePath: REMOTE('ro'), localPath: file }] }],
        env: {
          SOULSPOT_LIBRARY_DIR: library,
          SOULSPOT_MIN_FREE_MB: '0',
          SOULSPOT_DISK_CHECK_SECONDS: '0.2',
        },
      });
      const created = await stack.api<DownloadDto>('POST', '/api/downloads', TRACK);
      const [failed] = await stack.waitFor((items) =>
        items.some((d) => d.id === created.body.id && d.status === 'failed'),
      );
      const d = (await stack.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
      expect(failed).toBeDefined();
      expect(d.errorCode).toBe('permission_denied');
      expect(d.errorMessage).toMatch(/Cannot write to the library/);
      expect(filesUnder(library)).toEqual([]);

      execFileSync('mount', ['-o', 'remount,rw', library], { stdio: 'pipe' });
      await stack.waitFor((items) =>
        items.some((x) => x.id === created.body.id && x.status === 'completed'),
      );
      const done = (await stack.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
      expect(sha(done.libraryPath!)).toBe(sha(file));
      // Filed from the copy slskd already had: the source was enqueued once.
      expect(stack.emulator.enqueues).toHaveLength(1);
    },
  );
});
