// The slskd behaviours around enqueueing and failing that the pipeline must survive: a slow peer
// connection (the POST held open, the batch recorded before its transfers), an unreachable peer, a
// per-file "Error: …", the enqueue hard limit, the inactivity timeout with 0.26's retries, cancels,
// and a search whose responses an slskd restart lost.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions, PeerBehaviour } from './emulator.js';
import type { Harness, TransferJson } from './test-support.js';
import { A1, alice, startHarness, waitFor } from './test-support.js';

let h: Harness;
afterEach(async () => h?.close());

const SIZE_A = 28949;

async function withBehaviour(
  behaviour: PeerBehaviour,
  options: Partial<EmulatorOptions> = {},
): Promise<void> {
  h = await startHarness({ users: [alice({ behaviour })], ...options });
}
const batchBody = (id: string) => ({
  id,
  username: 'alice',
  files: [{ filename: A1, size: SIZE_A }],
});
const get = async (id: string): Promise<TransferJson> =>
  (await h.api('GET', `/transfers/downloads/alice/${id}`)).json as TransferJson;

describe('enqueue against a slow or unreachable peer', () => {
  it('holds the POST while connecting: the batch exists without transfers, a second POST is a 409', async () => {
    await withBehaviour({ enqueueDelayMs: 600 });
    const id = randomUUID();
    const started = Date.now();
    const post = h.api('POST', '/transfers/downloads/batches', batchBody(id));
    const during = await waitFor(async () => {
      const res = await h.api('GET', `/transfers/downloads/batches/${id}`);
      return res.status === 200 ? res : undefined;
    });
    expect((during.json as { transfers: unknown[] }).transfers).toEqual([]);
    const again = await h.api('POST', '/transfers/downloads/batches', batchBody(id));
    expect(again.status).toBe(409);
    expect(h.emulator.enqueues).toHaveLength(0);

    const res = await post;
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    const after = await h.api('GET', `/transfers/downloads/batches/${id}`);
    expect((after.json as { transfers: TransferJson[] }).transfers).toHaveLength(1);
    expect(h.emulator.enqueues).toHaveLength(1);
  });

  it('answers 500 for an unreachable peer on both endpoints and leaves an empty batch', async () => {
    await withBehaviour({ unreachable: true });
    const id = randomUUID();
    const res = await h.api('POST', '/transfers/downloads/batches', batchBody(id));
    expect(res.status).toBe(500);
    expect(res.json).toMatch(
      /^Failed to establish a direct or indirect message connection to alice \(10\.0\.0\.2:2234\)$/,
    );
    const batch = await h.api('GET', `/transfers/downloads/batches/${id}`);
    expect(batch.status).toBe(200);
    expect((batch.json as { transfers: unknown[] }).transfers).toEqual([]);
    const legacy = await h.api('POST', '/transfers/downloads/alice', [
      { filename: A1, size: SIZE_A },
    ]);
    expect(legacy.status).toBe(500);
    expect(legacy.json).toBe(res.json);
    expect(h.emulator.enqueues).toHaveLength(0);
  });

  it('reports a per-file "Error: …" without recording a transfer', async () => {
    await withBehaviour({ enqueueError: 'The remote connection was closed' });
    const res = await h.api('POST', '/transfers/downloads/batches', batchBody(randomUUID()));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      batch: { transfers: [] },
      failures: [{ filename: A1, message: 'Error: The remote connection was closed' }],
    });
    const legacy = await h.api('POST', '/transfers/downloads/alice', [
      { filename: A1, size: SIZE_A },
    ]);
    expect(legacy.status).toBe(201);
    expect(legacy.json).toEqual({ enqueued: [], failed: [{}] });
    expect(h.emulator.enqueues).toHaveLength(0);
  });
});

describe('failures slskd itself times out', () => {
  it('fails a transfer the peer never queues at the hard limit, and does not retry it', async () => {
    await withBehaviour(
      { ignoreQueueRequest: true },
      { enqueueHardLimitMs: 300, retry: { attempts: 3, delayMs: 20 } },
    );
    const res = await h.api('POST', '/transfers/downloads/batches', batchBody(randomUUID()));
    const id = (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]!.id;
    await waitFor(async () => (await get(id)).state === 'Requested');
    const t = await waitFor(async () => {
      const x = await get(id);
      return x.state.startsWith('Completed') ? x : undefined;
    });
    expect(t).toMatchObject({
      state: 'Completed, TimedOut',
      exception: 'Download failed to enqueue remotely after hard time limit of 0.3 secs',
      attempts: 1,
    });
    await new Promise((r) => setTimeout(r, 200)); // longer than the retry delay
    expect(await get(id)).toMatchObject({ state: 'Completed, TimedOut', attempts: 1 });
  });

  it('times out a transfer that stops moving, retries it up to the attempts, then gives up', async () => {
    await withBehaviour(
      { stallAfterBytes: 4000, uploadSpeed: 100_000 },
      { inactivityTimeoutMs: 200, retry: { attempts: 3, delayMs: 30 } },
    );
    const res = await h.api('POST', '/transfers/downloads/batches', batchBody(randomUUID()));
    const id = (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]!.id;
    const attempts = new Set<number>();
    const t = await waitFor(async () => {
      const x = await get(id);
      if (x.state === 'Completed, TimedOut') attempts.add(x.attempts as number);
      return x.state === 'Completed, TimedOut' && x.attempts === 3 ? x : undefined;
    }, 10_000);
    expect(t.exception).toBe('Inactivity timeout of 200 milliseconds was reached');
    expect(t.bytesTransferred).toBe(4000);
    // Each failed attempt was saved as TimedOut before flipping back (0.26's retry bug, §5.4).
    expect([...attempts].sort()).toEqual([1, 2, 3]);
  });

  it("uses slskd 0.26's retry defaults unless told otherwise", async () => {
    h = await startHarness({ retry: undefined });
    const res = await h.api('GET', '/options');
    expect(res.json).toMatchObject({
      transfers: { download: { retry: { attempts: 3, delay: 5000, maxDelay: 60000 } } },
    });
  });
});

describe('cancels and lost searches', () => {
  it('records a cancel of a running transfer, not a DELETE of a finished one', async () => {
    await withBehaviour({ stuckInQueue: true });
    const res = await h.api('POST', '/transfers/downloads/batches', batchBody(randomUUID()));
    const id = (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]!.id;
    await waitFor(async () => (await get(id)).state === 'Queued, Remotely');
    expect((await h.api('DELETE', `/transfers/downloads/alice/${id}`)).status).toBe(204);
    await waitFor(async () => (await get(id)).state === 'Completed, Cancelled');
    await h.api('DELETE', `/transfers/downloads/alice/${id}?remove=true`);
    expect(h.emulator.cancels).toEqual([
      expect.objectContaining({ transferId: id, username: 'alice', filename: A1, remove: false }),
    ]);
  });

  it('keeps responseCount but loses the responses of a search cut by a restart', async () => {
    h = await startHarness({ searchTimeoutCapMs: 5000 });
    const id = randomUUID();
    await h.api('POST', '/searches', { id, searchText: 'sine waves', searchTimeout: 5000 });
    await waitFor(async () => {
      const s = (await h.api('GET', `/searches/${id}`)).json as { responseCount: number };
      return s.responseCount > 0;
    });
    await h.emulator.restart();
    const s = (await h.api('GET', `/searches/${id}`)).json as Record<string, unknown>;
    expect(s).toMatchObject({ isComplete: true, responseCount: 1 });
    expect(s.endedAt).toBeDefined();
    expect((await h.api('GET', `/searches/${id}/responses`)).json).toEqual([]);
  });
});
