// The adapter against the emulator where slskd is slow or fails in its own ways: an enqueue that
// outlives the request timeout (slskd connecting to the peer), a 409 for a batch still connecting,
// unreachable peers, per-file errors, the legacy API's finished records from earlier attempts, the
// enqueue hard limit, the inactivity timeout with 0.26's retries, and searches lost in a restart.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../../emulator/emulator.js';
import { rejection } from '../../../test/helpers/provider-error.js';
import type { EnqueueRequest, TransferStatus } from '../provider.js';
import { createSlskdProvider, type SlskdProvider } from './slskd.provider.js';
import { slskdSettings, type SlskdSettings } from './slskd.settings.js';

const AUDIO = path.resolve(fileURLToPath(new URL('../../../fixtures/audio/', import.meta.url)));
const KEY = 'emulator-key-0123456789';
const FILE = '@@p33r\\Music\\Artist\\Album (2001)\\01 - Tone A.flac';

let emulator: Emulator | undefined;
let root: string | undefined;
afterEach(async () => {
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
  emulator = undefined;
});

async function setup(
  options: Partial<EmulatorOptions> = {},
  settings: Partial<SlskdSettings> = {},
): Promise<{ emulator: Emulator; provider: SlskdProvider; request: () => EnqueueRequest }> {
  root = await mkdtemp(path.join(tmpdir(), 'soulspot-enqueue-'));
  await mkdir(path.join(root, 'dl'));
  await mkdir(path.join(root, 'inc'));
  const localPath = path.join(AUDIO, 'tone-a.flac');
  const size = (await stat(localPath)).size;
  emulator = await createEmulator({
    apiKey: KEY,
    downloadsDir: path.join(root, 'dl'),
    incompleteDir: path.join(root, 'inc'),
    users: [{ username: 'peer', files: [{ remotePath: FILE, localPath }] }],
    tickMs: 20,
    searchTimeoutCapMs: 300,
    retry: { attempts: 1 },
    ...options,
  });
  const provider = createSlskdProvider(
    slskdSettings({
      url: emulator.url,
      apiKey: KEY,
      requestTimeoutMs: 400,
      enqueueSettleMs: 5_000,
      enqueuePollMs: 50,
      cancelWaitMs: 2_000,
      ...settings,
    }),
  );
  const request = (): EnqueueRequest => ({
    batchId: randomUUID(),
    username: 'peer',
    filename: FILE,
    size,
    notBefore: Date.now(),
  });
  return { emulator, provider, request };
}

const FINISHED = ['succeeded', 'cancelled', 'timed_out', 'errored', 'rejected', 'aborted'];

/** Waits for a transfer's end as the pipeline sees it: terminal, and final (no slskd retry due). */
async function settled(provider: SlskdProvider, id: string): Promise<TransferStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const t = (await provider.listTransfers()).find((x) => x.id === id);
    const over = t !== undefined && FINISHED.includes(t.state);
    if (over && (t.state === 'succeeded' || provider.describeFailure(t).final)) return t;
    if (Date.now() > deadline) throw new Error(`transfer ${id} did not end: ${t?.raw}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(['0.26.0', '0.25.1'])(
  'an enqueue slower than the request timeout (slskd %s)',
  (version) => {
    it('is looked up until slskd has recorded it, never sent twice', async () => {
      const { emulator, provider, request } = await setup({ version });
      emulator.setBehaviour('peer', { enqueueDelayMs: 1_500 });
      const transfer = await provider.enqueue(request());
      expect(transfer).toMatchObject({ username: 'peer', filename: FILE });
      expect(emulator.enqueues).toHaveLength(1);
      expect(emulator.enqueues[0]?.transferId).toBe(transfer.id);
    });

    it('gives up with timeout when slskd never records it (peer unreachable)', async () => {
      const { emulator, provider, request } = await setup({ version }, { enqueueSettleMs: 1_000 });
      emulator.setBehaviour('peer', { enqueueDelayMs: 600, unreachable: true });
      const error = await rejection(provider.enqueue(request()));
      expect(error.code).toBe('timeout');
      expect(error.message).toMatch(/has not recorded the enqueue/);
      expect(emulator.enqueues).toHaveLength(0);
    });

    it('maps the 500 of an unreachable peer to source_offline', async () => {
      const { emulator, provider, request } = await setup({ version });
      emulator.setBehaviour('peer', { unreachable: true });
      const error = await rejection(provider.enqueue(request()));
      expect(error.code).toBe('source_offline');
      expect(error.message).toMatch(/Failed to establish a direct or indirect message connection/);
    });
  },
);

describe('batches (0.26)', () => {
  it('adopts a batch that answers 409 while slskd is still connecting (the first POST in flight)', async () => {
    const { emulator, provider, request } = await setup({}, { requestTimeoutMs: 5_000 });
    emulator.setBehaviour('peer', { enqueueDelayMs: 800 });
    const r = request();
    // Two SoulSpot processes (or a restarted one) asking for the same batch id at once.
    const first = provider.enqueue(r);
    const other = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, enqueuePollMs: 50 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await other.enqueue(r);
    expect(second.id).toBe((await first).id);
    expect(emulator.enqueues).toHaveLength(1);
  });

  it('reports a per-file "Error: …" in the batch answer with its code', async () => {
    const { emulator, provider, request } = await setup();
    emulator.setBehaviour('peer', {
      enqueueError: 'Failed to establish a direct or indirect transfer connection to peer',
    });
    const error = await rejection(provider.enqueue(request()));
    expect(error.code).toBe('source_offline');
    expect(error.status).toBe(200);
  });

  it('fails a transfer at the enqueue hard limit for good, although slskd retries timeouts', async () => {
    const { emulator, provider, request } = await setup({
      enqueueHardLimitMs: 300,
      retry: { attempts: 3, delayMs: 50 },
    });
    emulator.setBehaviour('peer', { ignoreQueueRequest: true });
    const transfer = await provider.enqueue(request());
    const done = await settled(provider, transfer.id);
    expect(done.state).toBe('timed_out');
    expect(provider.describeFailure(done)).toMatchObject({ code: 'queue_timeout', final: true });
  });

  it('keeps following an inactivity timeout slskd retries, until its attempts are used up', async () => {
    const { emulator, provider, request } = await setup({
      inactivityTimeoutMs: 250,
      retry: { attempts: 3, delayMs: 50 },
    });
    await provider.health(); // reads slskd's retry count from GET /options
    emulator.setBehaviour('peer', { stallAfterBytes: 3_000, uploadSpeed: 100_000 });
    const transfer = await provider.enqueue(request());
    const verdicts: Array<[number | undefined, boolean]> = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      const t = (await provider.listTransfers()).find((x) => x.id === transfer.id);
      if (t?.state === 'timed_out') {
        const { code, final } = provider.describeFailure(t);
        expect(code).toBe('timeout');
        if (verdicts.at(-1)?.[0] !== t.attempts) verdicts.push([t.attempts, final]);
        if (final) break;
      }
      if (Date.now() > deadline) throw new Error(`no final timeout: ${JSON.stringify(verdicts)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(verdicts.at(-1)).toEqual([3, true]);
    expect(verdicts.filter(([, final]) => !final).length).toBeGreaterThan(0);
    expect(emulator.enqueues).toHaveLength(1);
  });
});

describe('legacy records (0.25)', () => {
  it('does not send a timed-out enqueue again: a second POST would download the file twice', async () => {
    // slskd < 0.26 records nothing until the peer is connected, so a second POST sent meanwhile
    // is not skipped as "already in progress"; once the first transfer has finished it supersedes
    // it and the file is downloaded again. Only the first POST may go out; then slskd is polled.
    const { emulator, provider, request } = await setup({ version: '0.25.1' });
    emulator.setBehaviour('peer', { enqueueDelayMs: 1_500 });
    const transfer = await provider.enqueue(request());
    expect(transfer).toMatchObject({ username: 'peer', filename: FILE });
    expect(emulator.requestCounts['POST /transfers/downloads/{username}']).toBe(1);
    expect((await settled(provider, transfer.id)).state).toBe('succeeded');
  });

  it('never adopts a finished record older than the attempt', async () => {
    const { emulator, provider, request } = await setup({ version: '0.25.1' });
    const earlier = await provider.enqueue(request());
    expect((await settled(provider, earlier.id)).state).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 2_500)); // past the allowed clock skew

    const later = request();
    await expect(provider.findEnqueued(later)).resolves.toBeNull();
    // An enqueue that slskd answers without creating a transfer must not pick the old one either.
    emulator.setBehaviour('peer', { enqueueError: 'Database is locked' });
    const error = await rejection(provider.enqueue(later));
    expect(error.code).toBe('transfer_failed');
    // A record of this attempt is found again.
    emulator.setBehaviour('peer', { enqueueError: undefined });
    const mine = await provider.enqueue(later);
    expect(mine.id).not.toBe(earlier.id);
    expect((await provider.findEnqueued(later))?.id).toBe(mine.id);
  });
});

describe('searches', () => {
  it('reads a search whose counted responses an slskd restart lost as missing, not as empty', async () => {
    const { emulator, provider } = await setup({ searchTimeoutCapMs: 5_000 });
    const id = randomUUID();
    await provider.startSearch(id, 'artist album tone', 5_000);
    const deadline = Date.now() + 5_000;
    while ((await fetchSearch(emulator, id)).responseCount === 0) {
      if (Date.now() > deadline) throw new Error('no response counted');
      await new Promise((r) => setTimeout(r, 20));
    }
    await emulator.restart();
    const snapshot = await provider.getSearch(id);
    expect(snapshot).toEqual({ state: 'missing', candidates: [] });
  });
});

async function fetchSearch(e: Emulator, id: string): Promise<{ responseCount: number }> {
  const res = await fetch(`${e.url}/api/v0/searches/${id}`, { headers: { 'x-api-key': KEY } });
  return (await res.json()) as { responseCount: number };
}
