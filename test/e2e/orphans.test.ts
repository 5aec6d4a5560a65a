// Nothing is left behind at slskd: a cancel made while slskd is unreachable reaches it once it is
// back, and a transfer whose download is gone after a crash is cancelled by the start-up sweep,
// while the user's own transfers in slskd are never touched.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { openDatabase } from '../../src/db/database.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { filesUnder } from '../helpers/files.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { SLSKD_KEY, startEmulatorIn, startStack, type Stack } from '../helpers/stack.js';

interface SlskdTransfer {
  id: string;
  username: string;
  filename: string;
  state: string;
  removed?: boolean;
}

/** Every record slskd holds, removed ones too. */
async function records(emulator: Emulator): Promise<SlskdTransfer[]> {
  const res = await fetch(`${emulator.url}/api/v0/transfers/downloads?includeRemoved=true`, {
    headers: { 'x-api-key': SLSKD_KEY },
  });
  const groups = (await res.json()) as Array<{ directories: Array<{ files: SlskdTransfer[] }> }>;
  return groups.flatMap((g) => g.directories.flatMap((d) => d.files));
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const remote = (user: string, title: string) =>
  `@@${user}\\Music\\Loose Ends\\Leftovers (2012)\\01 - ${title}.flac`;

/** One slow peer per title, each file taking about `seconds` to arrive. */
async function slowPeers(dir: string, titles: string[], seconds: number): Promise<SimUser[]> {
  return Promise.all(
    titles.map(async (title, i) => {
      const localPath = path.join(dir, `${i}.flac`);
      await makeTone(localPath, { seconds: 3, frequency: 400 + 50 * i, format: 'flac' });
      const uploadSpeed = Math.ceil(statSync(localPath).size / seconds);
      const username = `peer${i}`;
      return {
        username,
        behaviour: { uploadSpeed },
        files: [{ remotePath: remote(username, title), localPath }],
      };
    }),
  );
}

const request = (title: string) => ({ artist: 'Loose Ends', title, album: 'Leftovers' });

describe.each(testDialects())('a cancel while slskd is unreachable (%s)', (dialect) => {
  let stack: Stack | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stack?.close();
    await drop?.();
    stack = undefined;
  });

  it('reaches slskd once it is back: the transfer is cancelled and removed there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-orphan-'));
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = pg.url;
      drop = pg.drop;
    }
    stack = await startStack({
      users: await slowPeers(dir, ['Unheard'], 20),
      env: { SOULSPOT_CIRCUIT_HALF_OPEN_SECONDS: '1' },
      ...(databaseUrl ? { databaseUrl } : {}),
    });
    const s = stack;
    const created = await s.api<DownloadDto>('POST', '/api/downloads', request('Unheard'));
    const id = created.body.id;
    await s.waitFor((items) =>
      items.some((d) => d.id === id && d.status === 'downloading' && d.bytesTransferred > 0),
    );
    const [transfer] = await records(s.emulator);
    expect(transfer?.state).toBe('InProgress');

    await s.emulator.stop();
    const cancelled = await s.api<DownloadDto>('DELETE', `/api/downloads/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await s.emulator.start();

    const gone = await until(async () => {
      const t = (await records(s.emulator)).find((x) => x.id === transfer!.id);
      return t?.state.startsWith('Completed') && t.removed ? t : undefined;
    }, 'the transfer to be cancelled and removed at slskd');
    expect(gone.state).toBe('Completed, Cancelled');
    expect(s.emulator.cancels.map((c) => c.transferId)).toContain(transfer!.id);
    expect(s.emulator.enqueues).toHaveLength(1);
    const after = (await s.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
    expect(after.status).toBe('cancelled');
    expect(filesUnder(s.config.libraryDir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a transfer left at slskd by a crash', () => {
  let emulator: Emulator | undefined;
  let root = '';
  afterEach(async () => {
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("is cancelled by the start-up sweep once no download follows it; the user's own is not", async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-orphan-crash-'));
    const users = await slowPeers(path.join(root, 'share'), ['Dropped', 'Own'], 25);
    emulator = await startEmulatorIn(root, users);
    // The user's own download, started in slskd's UI.
    const own = await fetch(`${emulator.url}/api/v0/transfers/downloads/batches`, {
      method: 'POST',
      headers: { 'x-api-key': SLSKD_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: randomUUID(),
        username: 'peer1',
        files: [
          { filename: remote('peer1', 'Own'), size: statSync(users[1]!.files[0]!.localPath).size },
        ],
      }),
    });
    expect(own.status).toBe(201);

    const { url, env, api } = await childSetup(root, emulator.url);
    let child = spawnSoulSpot(env);
    try {
      await waitForHealth(url);
      const created = await api<DownloadDto>('POST', '/api/downloads', request('Dropped'));
      const id = created.body.id;
      await until(async () => {
        const d = (await api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
        return d.status === 'downloading' && d.bytesTransferred > 0 ? d : undefined;
      }, 'the transfer to run');
      await killHard(child);

      // While SoulSpot was down its download went away (here: failed, as another process sharing
      // the database, or an operator, could have left it). slskd still downloads the file.
      const db = await openDatabase({
        url: null,
        sqlitePath: path.join(root, 'data', 'soulspot.db'),
      });
      await db.db
        .updateTable('downloads')
        .set({ status: 'failed', error_code: 'unknown', lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .execute();
      await db.close();
      const before = await records(emulator);
      const dropped = before.find((t) => t.username === 'peer0')!;
      expect(dropped.state).toBe('InProgress');

      child = spawnSoulSpot(env);
      await waitForHealth(url);
      const gone = await until(async () => {
        const t = (await records(emulator!)).find((x) => x.id === dropped.id);
        return t?.state.startsWith('Completed') && t.removed ? t : undefined;
      }, 'the orphan to be cancelled and removed');
      expect(gone.state).toBe('Completed, Cancelled');
      // The same sweep passed over the user's own transfer: still running, never cancelled.
      const mine = (await records(emulator)).find((t) => t.username === 'peer1');
      expect(mine?.state).toBe('InProgress');
      expect(mine?.removed).toBe(false);
      expect(emulator.cancels.map((c) => c.username)).toEqual(['peer0']);
    } finally {
      await killHard(child);
    }
  });
});
