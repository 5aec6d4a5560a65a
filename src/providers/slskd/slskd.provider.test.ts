import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, type SimUser } from '../../../emulator/emulator.js';
import { type TransferStatus } from '../provider.js';
import { classifyTransferFailure, isFinalTransfer } from './slskd.mapping.js';
import { createSlskdProvider, type SlskdProvider } from './slskd.provider.js';
import { slskdSettings } from './slskd.settings.js';
import { rejection } from '../../../test/helpers/provider-error.js';
// ---------------------------------------------------------------------------------------------
// Against the slskd emulator, over real HTTP
// ---------------------------------------------------------------------------------------------

const AUDIO = path.resolve(fileURLToPath(new URL('../../../fixtures/audio/', import.meta.url)));
const KEY = 'emulator-key-0123456789';
const ALBUM = '@@alic3\\Music\\Artist\\Album (2001)';
const TONE_A = `${ALBUM}\\01 - Tone A.flac`;
const TONE_B = `${ALBUM}\\02 - Tone B.flac`;
const TONE_C = '@@dav3\\Music\\Other\\Singles\\03 - Tone C.mp3';
const TONE_D = '@@car0l\\Music\\Other\\Rare\\04 - Tone D.mp3';

async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function settled(provider: SlskdProvider, id: string): Promise<TransferStatus> {
  return waitFor(async () => {
    const found = (await provider.listTransfers()).find((t) => t.id === id);
    return found !== undefined && isFinalTransfer(found) ? found : null;
  }, `transfer ${id} to finish`);
}

/**
 * The local path as the importer asks for it: patiently (slskd's event counts, not a file of the
 * same name that may be an earlier download's), until there is one.
 */
function located(provider: SlskdProvider, transfer: TransferStatus): Promise<string> {
  return waitFor(() => provider.localPath(transfer, { waitedMs: 0 }), 'the local path');
}

function users(): SimUser[] {
  return [
    {
      username: 'alice',
      files: [
        { remotePath: TONE_A, localPath: path.join(AUDIO, 'tone-a.flac') },
        { remotePath: TONE_B, localPath: path.join(AUDIO, 'tone-b.flac') },
      ],
    },
    {
      username: 'bob',
      files: [
        {
          remotePath: '@@b0b\\Music\\Tone\\05 - Tone.flac',
          localPath: path.join(AUDIO, 'tone-b.flac'),
        },
      ],
      behaviour: { offline: true },
    },
    {
      username: 'carol',
      files: [{ remotePath: TONE_D, localPath: path.join(AUDIO, 'tone-d.mp3') }],
      behaviour: { reject: 'File not shared.' },
    },
    {
      username: 'dave',
      files: [{ remotePath: TONE_C, localPath: path.join(AUDIO, 'tone-c.mp3') }],
      behaviour: { stuckInQueue: true },
    },
    {
      username: 'erin',
      files: [
        {
          remotePath: '@@er1n\\Music\\X\\Y\\06 - Tone.flac',
          localPath: path.join(AUDIO, 'tone-a.flac'),
        },
      ],
      behaviour: { failAfterBytes: 1000 },
    },
  ];
}

async function tempDirs() {
  const root = await mkdtemp(path.join(tmpdir(), 'soulspot-slskd-'));
  const downloadsDir = path.join(root, 'downloads');
  const incompleteDir = path.join(root, 'incomplete');
  await mkdir(downloadsDir);
  await mkdir(incompleteDir);
  return { root, downloadsDir, incompleteDir };
}

describe('slskd provider against the emulator (0.26)', () => {
  let emulator: Emulator;
  let provider: SlskdProvider;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;

  beforeAll(async () => {
    dirs = await tempDirs();
    emulator = await createEmulator({
      apiKey: KEY,
      downloadsDir: dirs.downloadsDir,
      incompleteDir: dirs.incompleteDir,
      users: users(),
      tickMs: 50,
      searchTimeoutCapMs: 600,
      // slskd 0.26's default of 3 attempts, with short delays
      retry: { attempts: 3, delayMs: 50, maxDelayMs: 100 },
    });
    provider = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, cancelWaitMs: 5000 }),
    );
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dirs.root, { recursive: true, force: true });
  });

  it('reports health up with the version, down when not logged in or stopped', async () => {
    await expect(provider.health()).resolves.toEqual({ state: 'up', version: '0.26.0' });
    await expect(provider.version()).resolves.toBe('0.26.0');

    emulator.setLoggedIn(false);
    const loggedOut = await provider.health();
    expect(loggedOut.state).toBe('down');
    expect(loggedOut.message).toMatch(/not (logged in|connected)/);
    expect(loggedOut.offline).toBe(true);
    const refusedId = randomUUID();
    const search = await rejection(provider.startSearch(refusedId, 'tone flac', 1000));
    expect(search.code).toBe('slskd_unavailable');
    // slskd keeps the refused search as "Completed, Errored" with no results: that must read as
    // lost (search again), never as "nothing found".
    await expect(provider.getSearch(refusedId)).resolves.toEqual({
      state: 'missing',
      candidates: [],
    });
    emulator.setLoggedIn(true);

    await emulator.stop();
    try {
      const stopped = await provider.health();
      expect(stopped.state).toBe('down');
      expect(stopped.message).toMatch(/unreachable/);
      const error = await rejection(provider.listTransfers());
      expect(error.code).toBe('slskd_unavailable');
    } finally {
      await emulator.start();
    }
    await expect(provider.health()).resolves.toMatchObject({ state: 'up' });
  });

  it('refuses a wrong API key', async () => {
    const wrong = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: 'wrong-key-0123456789' }),
    );
    const health = await wrong.health();
    expect(health.state).toBe('down');
    expect(health.message).toMatch(/API key/);
  });

  it('runs a search and returns candidates only once it completed', async () => {
    const id = randomUUID();
    await provider.startSearch(id, 'Tone', 500);
    const first = await provider.getSearch(id);
    expect(first).toEqual({ state: 'running', candidates: [] });
    const done = await waitFor(async () => {
      const snapshot = await provider.getSearch(id);
      return snapshot.state === 'complete' ? snapshot : null;
    }, 'the search to complete');
    const names = done.candidates.map((c) => `${c.username} ${c.filename}`).sort();
    expect(names).toContain(`alice ${TONE_A}`);
    expect(names).toContain(`alice ${TONE_B}`);
    expect(done.candidates.some((c) => c.username === 'bob')).toBe(false);
    const toneA = done.candidates.find((c) => c.filename === TONE_A);
    expect(toneA).toMatchObject({ provider: 'slskd', extension: 'flac', hasFreeUploadSlot: true });
    expect(toneA?.size).toBe((await stat(path.join(AUDIO, 'tone-a.flac'))).size);

    await provider.deleteSearch(id);
    await expect(provider.getSearch(id)).resolves.toEqual({ state: 'missing', candidates: [] });
    await expect(provider.deleteSearch(id)).resolves.toBeUndefined();
  });

  it('says missing for an unknown search', async () => {
    await expect(provider.getSearch(randomUUID())).resolves.toEqual({
      state: 'missing',
      candidates: [],
    });
  });

  it('enqueues through a batch, finds it again by batch id, and reads its local file', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const request = { batchId: randomUUID(), username: 'alice', filename: TONE_A, size };
    const transfer = await provider.enqueue(request);
    expect(transfer).toMatchObject({
      username: 'alice',
      filename: TONE_A,
      size,
      batchId: request.batchId,
    });
    expect(emulator.enqueues.filter((e) => e.batchId === request.batchId)).toHaveLength(1);

    const found = await provider.findEnqueued(request);
    expect(found?.id).toBe(transfer.id);
    await expect(provider.findEnqueued({ ...request, batchId: randomUUID() })).resolves.toBeNull();

    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await located(provider, finished);
    expect(local).toBe(path.join(dirs.downloadsDir, 'Album (2001)', '01 - Tone A.flac'));
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));

    // The same file again supersedes the finished record and lands under a renamed name on disk:
    // only the event log knows that name (the directory rule would point at the first file).
    const eventsBefore = emulator.requestCounts['GET /events'] ?? 0;
    const second = await provider.enqueue({ ...request, batchId: randomUUID() });
    expect(second.id).not.toBe(transfer.id);
    const secondDone = await settled(provider, second.id);
    const renamed = await located(provider, secondDone);
    expect(emulator.requestCounts['GET /events'] ?? 0).toBeGreaterThan(eventsBefore);
    expect(renamed).not.toBe(local);
    expect(path.dirname(renamed ?? '')).toBe(path.join(dirs.downloadsDir, 'Album (2001)'));
    expect(path.basename(renamed ?? '')).toMatch(/^01 - Tone A_\d+\.flac$/);
    expect(await readFile(renamed ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));
  });

  it('translates the event path into settings.downloadsDir (slskd in a container)', async () => {
    const mount = path.join(dirs.root, 'mounted-downloads');
    await symlink(dirs.downloadsDir, mount);
    const mounted = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, downloadsDir: mount }),
    );
    const size = (await stat(path.join(AUDIO, 'tone-b.flac'))).size;
    const transfer = await mounted.enqueue({
      batchId: randomUUID(),
      username: 'alice',
      filename: TONE_B,
      size,
    });
    const finished = await settled(mounted, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await located(mounted, finished);
    expect(local).toBe(path.join(mount, 'Album (2001)', '02 - Tone B.flac'));
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-b.flac')));
  });

  it('adopts a duplicate enqueue instead of creating a second transfer', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const first = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    const count = emulator.enqueues.length;

    const again = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    expect(again.id).toBe(first.id);
    expect(emulator.enqueues.length).toBe(count);

    // the same batch id again (a retry after a crash): 409 → adopted through the batch
    const sameBatch = await provider.enqueue({
      batchId: first.batchId ?? '',
      username: 'dave',
      filename: TONE_C,
      size,
    });
    expect(sameBatch.id).toBe(first.id);
    expect(emulator.enqueues.length).toBe(count);

    const position = await provider.queuePosition('dave', first.id);
    expect(position === null || Number.isInteger(position)).toBe(true);

    // cancel, wait for Completed, remove
    await provider.cancel('dave', first.id);
    const listed = (await provider.listTransfers()).find((t) => t.id === first.id);
    expect(listed === undefined || listed.removed === true).toBe(true);
    await expect(provider.cancel('dave', first.id)).resolves.toBeUndefined();
  });

  it('lists all transfers in exactly one request', async () => {
    const key = 'GET /transfers/downloads';
    const before = emulator.requestCounts[key] ?? 0;
    const all = await provider.listTransfers();
    expect(all.length).toBeGreaterThan(0);
    expect(emulator.requestCounts[key] ?? 0).toBe(before + 1);
    const total = Object.values(emulator.requestCounts).reduce((a, b) => a + b, 0);
    await provider.listTransfers();
    expect(Object.values(emulator.requestCounts).reduce((a, b) => a + b, 0)).toBe(total + 1);
  });

  it('gives source_offline for an offline user', async () => {
    const error = await rejection(
      provider.enqueue({
        batchId: randomUUID(),
        username: 'bob',
        filename: '@@b0b\\Music\\Tone\\05 - Tone.flac',
        size: 10,
      }),
    );
    expect(error.code).toBe('source_offline');
  });

  it('classifies a rejected file', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-d.mp3'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'carol',
      filename: TONE_D,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('rejected');
    expect(classifyTransferFailure(finished).code).toBe('file_not_found');
    expect(provider.describeFailure(finished)).toMatchObject({
      code: 'file_not_found',
      daemonRestart: false,
    });
    await expect(provider.localPath(finished)).resolves.toBeNull();
  });

  it('classifies a failure reported by the peer', async () => {
    const filename = '@@er1n\\Music\\X\\Y\\06 - Tone.flac';
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'erin',
      filename,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('errored');
    // slskd retried it by itself (§5.4): only the last attempt's failure is final
    expect(finished.attempts).toBe(3);
    expect(finished.exception).toMatch(/reported as failed by remote client/);
    expect(classifyTransferFailure(finished).code).toBe('transfer_failed');
  });

  it('marks transfers cut by an slskd restart', async () => {
    emulator.setBehaviour('dave', { stuckInQueue: true });
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    await emulator.restart();
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('errored');
    expect(classifyTransferFailure(finished)).toMatchObject({
      code: 'slskd_unavailable',
      isSlskdRestart: true,
    });
    expect(provider.describeFailure(finished)).toMatchObject({
      code: 'slskd_unavailable',
      daemonRestart: true,
    });
  });
});

describe('slskd provider against the emulator in legacy mode (0.25)', () => {
  let emulator: Emulator;
  let provider: SlskdProvider;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;

  beforeAll(async () => {
    dirs = await tempDirs();
    emulator = await createEmulator({
      apiKey: KEY,
      version: '0.25.1',
      downloadsDir: dirs.downloadsDir,
      incompleteDir: dirs.incompleteDir,
      users: users(),
      tickMs: 50,
      searchTimeoutCapMs: 600,
    });
    provider = createSlskdProvider(slskdSettings({ url: emulator.url, apiKey: KEY }));
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dirs.root, { recursive: true, force: true });
  });

  it('enqueues through the legacy endpoint, adopts duplicates, finds it again', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const request = { batchId: randomUUID(), username: 'dave', filename: TONE_C, size };
    await expect(provider.findEnqueued(request)).resolves.toBeNull();
    const transfer = await provider.enqueue(request);
    expect(transfer).toMatchObject({ username: 'dave', filename: TONE_C, size });
    expect(transfer.batchId).toBeUndefined();
    expect(emulator.requestCounts['POST /transfers/downloads/batches'] ?? 0).toBe(0);
    const count = emulator.enqueues.length;

    const again = await provider.enqueue({ ...request, batchId: randomUUID() });
    expect(again.id).toBe(transfer.id);
    expect(emulator.enqueues.length).toBe(count);

    const found = await provider.findEnqueued(request);
    expect(found?.id).toBe(transfer.id);

    await provider.cancel('dave', transfer.id);
  });

  it('downloads a file and finds it through the event log', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'alice',
      filename: TONE_A,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await located(provider, finished);
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));
  });

  it('gives source_offline for an offline user (500 on the legacy endpoint)', async () => {
    const error = await rejection(
      provider.enqueue({
        batchId: randomUUID(),
        username: 'bob',
        filename: '@@b0b\\Music\\Tone\\05 - Tone.flac',
        size: 10,
      }),
    );
    expect(error.code).toBe('source_offline');
  });
});
