// A worker paused mid-transfer (SIGSTOP) past its lease, while a second SoulSpot process sharing the
// PostgreSQL database takes the download over and follows the same transfer. When the first one
// resumes (SIGCONT), all its timers fire at once and its stall deadline has long passed: it must not
// cancel the transfer the new owner follows, enqueue again, or record anything on the attempt.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { filesUnder, sha } from '../helpers/files.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const onPostgres = testDialects().includes('postgres');

/** The shared poll (helpers/wait.ts) under this file's shorter name. */
const until = <T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000) =>
  waitUntil(probe, { what, timeoutMs: ms });

describe.runIf(onPostgres)('a worker paused mid-transfer past its lease (PostgreSQL)', () => {
  const children: ChildProcess[] = [];
  let emulator: Emulator | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let client: pg.Client | undefined;
  let root = '';
  afterAll(async () => {
    for (const c of children) await killHard(c);
    await client?.end();
    await emulator?.close();
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  // Three real processes start and stop here; on a loaded machine tsx start-ups alone take tens of
  // seconds, and every wait inside follows a named condition.
  it(
    'resumes without cancelling, enqueueing or filing what the new owner follows',
    { timeout: 180_000 },
    async () => {
      root = mkdtempSync(path.join(tmpdir(), 'soulspot-stale-'));
      const source = path.join(root, 'share', 'song.flac');
      await makeTone(source, { seconds: 3, frequency: 520, format: 'flac' });
      // About 16 s for the whole file: A starts it, B finishes it, with seconds to spare each side.
      const uploadSpeed = Math.ceil(statSync(source).size / 16);
      const remote = '@@slow\\Music\\Pause Quartet\\Frozen (2004)\\01 - Held Breath.flac';
      emulator = await startEmulatorIn(root, [
        {
          username: 'slow',
          behaviour: { uploadSpeed },
          files: [{ remotePath: remote, localPath: source }],
        },
      ]);
      db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      client = new pg.Client({ connectionString: db.url });
      await client.connect();
      // A stall timeout far shorter than the pause: A's deadline has passed when it wakes up.
      const shared = { SOULSPOT_DATABASE_URL: db.url, SOULSPOT_STALL_TIMEOUT_SECONDS: '2' };
      const a = await childSetup(root, emulator.url, {
        ...shared,
        SOULSPOT_DATA_DIR: path.join(root, 'data-a'),
      });
      const b = await childSetup(root, emulator.url, {
        ...shared,
        SOULSPOT_DATA_DIR: path.join(root, 'data-b'),
      });

      const childA = spawnSoulSpot(a.env);
      children.push(childA);
      await waitForHealth(a.url);
      const created = await a.api<DownloadDto>('POST', '/api/downloads', {
        artist: 'Pause Quartet',
        title: 'Held Breath',
        album: 'Frozen',
        trackNumber: 1,
        durationSeconds: 3,
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const row = async () =>
        (
          await client!.query<{
            lease_owner: string | null;
            bytes_transferred: string;
            status: string;
          }>('SELECT lease_owner, bytes_transferred, status FROM downloads WHERE id = $1', [id])
        ).rows[0]!;
      await until(async () => {
        const r = await row();
        return r.status === 'downloading' && Number(r.bytes_transferred) > 0 ? r : undefined;
      }, 'A to be transferring');

      // B comes up while A follows the transfer (B's start-up sweep must leave it alone too).
      const childB = spawnSoulSpot(b.env);
      children.push(childB);
      await waitForHealth(b.url);
      const idOf = (dir: string) =>
        readFileSync(path.join(root, dir, 'instance-id'), 'utf8').trim();
      expect((await row()).lease_owner).toBe(idOf('data-a'));

      childA.kill('SIGSTOP');
      // Past A's lease, B claims the download and follows the same transfer (its progress moves on).
      const takenAt = await until(async () => {
        const r = await row();
        return r.lease_owner === idOf('data-b') ? Number(r.bytes_transferred) : undefined;
      }, 'B to take the download over');
      await until(async () => {
        const r = await row();
        return Number(r.bytes_transferred) > takenAt ? true : undefined;
      }, "B's progress");
      expect(emulator.enqueues).toHaveLength(1); // adopted, not enqueued again
      childA.kill('SIGCONT');
      await waitForHealth(a.url); // A is running again (its overdue timers fire before it answers)

      const done = await until(
        async () => {
          const d = (await b.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
          return d.status === 'completed' || d.status === 'failed' ? d : undefined;
        },
        'the download to end',
        60_000,
      );
      expect(`${done.status} ${done.errorMessage ?? ''}`).toBe('completed ');
      expect(done.attempts.map((x) => [x.username, x.outcome])).toEqual([['slow', 'succeeded']]);
      // One transfer at slskd, never cancelled; one file in the library, with the right bytes.
      expect(emulator.enqueues).toHaveLength(1);
      expect(emulator.cancels).toEqual([]);
      const library = filesUnder(path.join(root, 'library'));
      expect(library).toEqual([done.libraryPath]);
      expect(sha(done.libraryPath!)).toBe(sha(source));
    },
  );
});
