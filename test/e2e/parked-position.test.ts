import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { SLSKD_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * A download parked in a peer's queue has no worker (docs/architecture.md, "Slots"); the source
 * watch follows it, and must show its place moving: when the transfer list tells a new place in
 * queue, `queuePosition` follows it.
 */
describe.each(testDialects())('a parked download on %s', (dialect) => {
  let root: string | undefined;
  let emulator: Emulator | undefined;
  let soulspot: SoulSpot | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await drop?.();
    if (root) rmSync(root, { recursive: true, force: true });
    soulspot = emulator = drop = root = undefined;
  });

  // Before: the place stayed at what the worker saw before it parked the download.
  it('shows the new place in the peer queue while parked', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-parked-'));
    const file = path.join(root, 'song.flac');
    await makeTone(file, { seconds: 2, format: 'flac' });
    emulator = await startEmulatorIn(root, [
      {
        username: 'slowqueue',
        behaviour: { uploadSpeed: 40_000, stuckInQueue: true, queueLength: 7 },
        files: [
          { remotePath: '@@sq\\Music\\Parked Band\\Album\\01 - Waiting.flac', localPath: file },
        ],
      },
    ]);
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = pg.url;
      drop = pg.drop;
    }
    soulspot = await startSoulSpot(
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_STALL_TIMEOUT_SECONDS: '3600',
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
      }),
      { listen: false },
    );
    const s = soulspot;
    const { download } = await s.downloads.create({ artist: 'Parked Band', title: 'Waiting' });
    const parked = await waitUntil(
      async () =>
        (await s.db.db
          .selectFrom('downloads')
          .innerJoin('attempts', 'attempts.id', 'downloads.current_attempt_id')
          .select(['attempts.transfer_id', 'attempts.username'])
          .where('downloads.id', '=', download.id)
          .where('downloads.source_wait', '=', 'waiting')
          .executeTakeFirst()) ?? null,
      { what: 'the download parked at its source' },
    );
    // The peer's queue ahead shrinks; slskd learns the new place (its position request) and
    // shows it in the transfer list, which is all SoulSpot reads of a parked download.
    emulator.setBehaviour('slowqueue', { queueLength: 3 });
    const res = await fetch(
      `${emulator.url}/api/v0/transfers/downloads/${parked.username}/${parked.transfer_id!}/position`,
      { headers: { 'x-api-key': SLSKD_KEY } },
    );
    expect(await res.json()).toBe(3);
    const moved = await waitUntil(
      async () => {
        const d = await s.downloads.get(download.id);
        return d.queuePosition === 3 ? d : null;
      },
      { what: 'queuePosition 3 on the parked download', timeoutMs: 30_000 },
    );
    expect(moved.status).toBe('queued');
    // Still parked: the place was written without taking the download from its source wait.
    const row = await s.db.db
      .selectFrom('downloads')
      .select(['source_wait', 'lease_owner'])
      .where('id', '=', download.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ source_wait: 'waiting', lease_owner: null });
    // Announced as the worker would announce it: a progress delta with the new place, committed
    // with the write (SSE clients and other processes read it from the log).
    const announced = (
      await s.db.db
        .selectFrom('events')
        .select('payload')
        .where('type', '=', 'download.progress')
        .execute()
    ).map((e) => JSON.parse(e.payload) as { id: string; queuePosition: number | null });
    expect(announced).toContainEqual(
      expect.objectContaining({ id: download.id, queuePosition: 3 }),
    );
  });
});
