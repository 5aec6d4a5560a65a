// A SoulSpot process paused (SIGSTOP) in the middle of copying a track into the library, on a
// PostgreSQL database shared with a second process. The second takes the download over once the
// first one's lease lapses and files it; then the first is resumed (SIGCONT). Afterwards: one
// library file (no " (2)"), one transfer at slskd (not cancelled), the download completed once.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeNoise } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { filesUnder, sha } from '../helpers/files.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { SLSKD_KEY, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const onPostgres = testDialects().includes('postgres');
const TRACK = { artist: 'Paused', title: 'Mid Copy', album: 'Stopped', trackNumber: 1 };
const REMOTE = '@@p4u\\Music\\Paused\\Stopped\\01 - Mid Copy.flac';

/** The shared poll (helpers/wait.ts) under this file's shorter name. */
const until = <T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 60_000) =>
  waitUntil(probe, { what, timeoutMs: ms });

describe.runIf(onPostgres)('a filer paused mid-copy while another process takes over', () => {
  const children: ChildProcess[] = [];
  let emulator: Emulator | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let root: string | undefined;
  afterAll(async () => {
    for (const c of children) {
      c.kill('SIGCONT');
      await killHard(c);
    }
    await emulator?.close();
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('ends with one library file, one transfer, nothing cancelled, the stale copy discarded', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-stale-'));
    const track = path.join(root, 'share', 'mid-copy.flac');
    // About 100 MB of noise: its copy into the library takes long enough to be caught halfway.
    await makeNoise(track, 720);
    const size = statSync(track).size;
    emulator = await startEmulatorIn(root, [
      {
        username: 'p4u',
        files: [{ remotePath: REMOTE, localPath: track }],
        behaviour: { uploadSpeed: 400_000_000 },
      },
    ]);
    db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    const shared = {
      SOULSPOT_DATABASE_URL: db.url,
      SOULSPOT_LEASE_SECONDS: '3',
      SOULSPOT_MAX_CONCURRENT: '1',
      SOULSPOT_MIN_FREE_MB: '0',
    };
    const a = await childSetup(root, emulator.url, {
      ...shared,
      SOULSPOT_DATA_DIR: path.join(root, 'data-a'),
    });
    const b = await childSetup(root, emulator.url, {
      ...shared,
      SOULSPOT_DATA_DIR: path.join(root, 'data-b'),
    });
    const library = a.env.SOULSPOT_LIBRARY_DIR as string;
    // Watch the folder the track is filed into, to stop the first process the moment its copy starts.
    const album = path.join(library, TRACK.artist, TRACK.album);
    mkdirSync(album, { recursive: true });
    const tempSeen = new Promise<string>((resolve) => {
      const watcher = watch(album, (_event, name) => {
        if (!name?.endsWith('.part')) return;
        const temp = path.join(album, name);
        // Some bytes copied, not all: the copy is under way.
        const copied = statSync(temp, { throwIfNoEntry: false })?.size ?? 0;
        if (copied === 0) return;
        process.kill(first.pid as number, 'SIGSTOP');
        watcher.close();
        resolve(temp);
      });
    });

    const first = spawnSoulSpot(a.env);
    children.push(first);
    await waitForHealth(a.url);
    const created = await a.api<DownloadDto>('POST', '/api/downloads', TRACK);
    expect(created.status).toBe(201);
    const temp = await Promise.race([
      tempSeen,
      until<string>(() => undefined, 'the copy into the library to start', 120_000),
    ]);
    const copiedWhenStopped = statSync(temp).size;
    expect(copiedWhenStopped, 'stopped in the middle of the copy').toBeGreaterThan(0);
    expect(copiedWhenStopped, 'stopped in the middle of the copy').toBeLessThan(size);

    // The second process takes over once the first one's lease has lapsed, and files the track.
    const second = spawnSoulSpot(b.env);
    children.push(second);
    await waitForHealth(b.url);
    const done = await until(
      async () => {
        const d = (await b.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
        return d.status === 'completed' || d.status === 'failed' ? d : undefined;
      },
      'the second process to file the track',
      120_000,
    );
    expect(done.status, `${done.errorCode} ${done.errorMessage}`).toBe('completed');

    // Resume the first: it must see its lease is gone and throw its copy away.
    first.kill('SIGCONT');
    await until(
      () => (readdirSync(album).includes(path.basename(temp)) ? undefined : true),
      'the stale copy to go',
    );
    await waitForHealth(a.url);
    const settled = (await a.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
    expect(settled.status).toBe('completed');
    expect(settled.libraryPath).toBe(done.libraryPath);

    expect(filesUnder(library), 'one library file, no " (2)", no temp file').toEqual([
      done.libraryPath,
    ]);
    expect(sha(done.libraryPath as string)).toBe(sha(track));
    expect(emulator.enqueues, 'one transfer').toHaveLength(1);
    const res = await fetch(`${emulator.url}/api/v0/transfers/downloads?includeRemoved=true`, {
      headers: { 'x-api-key': SLSKD_KEY },
    });
    const groups = (await res.json()) as Array<{
      directories: Array<{ files: Array<{ state: string }> }>;
    }>;
    const states = groups.flatMap((g) => g.directories.flatMap((d) => d.files.map((f) => f.state)));
    expect(states, 'the one transfer succeeded, none cancelled').toEqual(['Completed, Succeeded']);
    // slskd's copy was removed once, by the owner that recorded the library file.
    expect(filesUnder(path.join(root, 'slskd', 'downloads'))).toEqual([]);
    console.log(
      `stale filer: stopped at ${copiedWhenStopped} of ${size} bytes copied; the second process filed it`,
    );
  }, 240_000);
});
