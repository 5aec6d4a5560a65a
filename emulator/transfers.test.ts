// Downloads through the real HTTP API: the lifecycle, bytes on disk, events, peer behaviours, duplicate
// and cancel/remove semantics, restart, and the legacy (pre-0.26) API.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerBehaviour } from './emulator.js';
import type { Harness, TransferJson } from './test-support.js';
import { A1, A2, alice, startHarness, TONE_A, waitFor } from './test-support.js';

let h: Harness;
afterEach(async () => h?.close());

const SIZE_A = 28949;
const SIZE_B = 22514;

async function batch(
  files: { filename: string; size: number }[],
  extra: Record<string, unknown> = {},
) {
  return h.api('POST', '/transfers/downloads/batches', { username: 'alice', files, ...extra });
}
const get = async (id: string): Promise<TransferJson> =>
  (await h.api('GET', `/transfers/downloads/alice/${id}`)).json as TransferJson;
const until = (id: string, state: string, timeoutMs = 5000): Promise<TransferJson> =>
  waitFor(async () => {
    const t = await get(id);
    return t.state === state ? t : undefined;
  }, timeoutMs);
async function enqueueOne(filename = A1, size = SIZE_A): Promise<string> {
  const res = await batch([{ filename, size }]);
  expect(res.status).toBe(201);
  return (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]?.id ?? '';
}
async function withBehaviour(behaviour: PeerBehaviour, options = {}): Promise<void> {
  h = await startHarness({ users: [alice({ behaviour })], ...options });
}

describe('batch download', () => {
  it('walks the states to "Completed, Succeeded", writes identical bytes, and raises events', async () => {
    await withBehaviour({ remoteQueueMs: 120, uploadSpeed: 200_000 });
    const res = await batch([{ filename: A1, size: SIZE_A }]);
    expect(res.status).toBe(201);
    const body = res.json as {
      batch: { id: string; transfers: TransferJson[] };
      failures: unknown[];
    };
    expect(body.failures).toEqual([]);
    const first = body.batch.transfers[0] as TransferJson;
    expect(first).toMatchObject({
      state: 'Queued, Locally',
      attempts: 1,
      removed: false,
      batchId: body.batch.id,
    });
    expect(first.requestedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$/); // no Z

    const seen = new Set<string>();
    const positions: number[] = [];
    const done = await waitFor(async () => {
      const t = await get(first.id);
      seen.add(t.state);
      if (t.state === 'Queued, Remotely') {
        positions.push(
          (await h.api('GET', `/transfers/downloads/alice/${first.id}/position`)).json as number,
        );
      }
      return t.state === 'Completed, Succeeded' ? t : undefined;
    });
    expect([...seen]).toEqual(
      expect.arrayContaining(['Queued, Remotely', 'InProgress', 'Completed, Succeeded']),
    );
    expect(positions.length).toBeGreaterThan(0);
    expect(Number.isInteger(positions[0])).toBe(true);
    expect(done).toMatchObject({
      bytesTransferred: SIZE_A,
      bytesRemaining: 0,
      percentComplete: 100,
    });
    expect(done.enqueuedAt).toMatch(/\d$/);
    expect(done.endedAt).toMatch(/Z$/);
    expect(done.elapsedTime).toMatch(/^00:00:0\d\.\d{7}$/);

    const events = await waitFor(async () => {
      const list = (await h.api('GET', '/events?offset=0&limit=10')).json as {
        type: string;
        data: string;
      }[];
      return list.length >= 2 ? list : undefined;
    });
    expect(events.map((e) => e.type)).toEqual([
      'DownloadDirectoryComplete',
      'DownloadFileComplete',
    ]);
    const data = JSON.parse(events[1]?.data ?? '{}') as {
      localFilename: string;
      remoteFilename: string;
      transfer: { exception: unknown };
    };
    const expected = path.join(h.downloadsDir, 'Sine Waves (2021)', '01 - Tone A.flac');
    expect(data.localFilename).toBe(expected);
    expect(data.remoteFilename).toBe(A1);
    expect(data.transfer.exception).toBeNull(); // nulls are kept inside event data
    expect(await readFile(expected)).toEqual(await readFile(TONE_A));
    expect(await readdir(path.join(h.dir, 'incomplete'))).toEqual([]); // partial moved, folders tidied
  });

  it('skips an active duplicate, and a later enqueue supersedes the completed one with a renamed file', async () => {
    await withBehaviour({ uploadSpeed: 50_000 });
    const id = await enqueueOne();
    const dup = await batch([{ filename: A1, size: SIZE_A }]);
    expect(dup.status).toBe(200); // every file failed
    expect((dup.json as { failures: unknown[] }).failures).toEqual([
      { filename: A1, message: 'Skipped: Already in progress' },
    ]);
    const partial = await batch([
      { filename: A1, size: SIZE_A },
      { filename: A2, size: SIZE_B },
    ]);
    expect(partial.status).toBe(207);
    expect(h.emulator.enqueues.map((e) => e.filename)).toEqual([A1, A2]);

    await until(id, 'Completed, Succeeded');
    const again = await enqueueOne();
    await until(again, 'Completed, Succeeded');
    expect((await get(id)).removed).toBe(true);
    const files = await waitFor(async () => {
      const list = await readdir(path.join(h.downloadsDir, 'Sine Waves (2021)'));
      return list.length === 3 ? list.sort() : undefined;
    });
    expect(files[0]).toBe('01 - Tone A.flac');
    expect(files[1]).toMatch(/^01 - Tone A_\d{18}\.flac$/);
    const conflict = await batch([{ filename: A2, size: SIZE_B }], { id: (await get(id)).batchId });
    expect(conflict.status).toBe(409);
  });

  it('cancels, ignores remove on an active transfer, then removes once completed', async () => {
    await withBehaviour({ stuckInQueue: true, queueLength: 7 });
    const id = await enqueueOne();
    await until(id, 'Queued, Remotely');
    await new Promise((r) => setTimeout(r, 150));
    expect((await get(id)).state).toBe('Queued, Remotely'); // stuck for good
    const position = await h.api('GET', `/transfers/downloads/alice/${id}/position`);
    expect(position.text).toBe('7');
    expect((await get(id)).placeInQueue).toBe(7);

    expect((await h.api('DELETE', `/transfers/downloads/alice/${id}?remove=true`)).status).toBe(
      204,
    );
    const cancelled = await until(id, 'Completed, Cancelled');
    expect(cancelled.removed).toBe(false); // remove on an active transfer is a silent no-op
    await h.api('DELETE', `/transfers/downloads/alice/${id}?remove=true`);
    expect((await get(id)).removed).toBe(true);
    const user = await h.api('GET', '/transfers/downloads/alice');
    expect(user.status).toBe(404);
    expect(user.text).toBe('');
    expect((await h.api('GET', '/transfers/downloads')).json).toEqual([]);
    expect(
      ((await h.api('GET', '/transfers/downloads?includeRemoved=true')).json as unknown[]).length,
    ).toBe(1);
    const unknown = await h.api(
      'DELETE',
      '/transfers/downloads/alice/00000000-0000-4000-8000-000000000000',
    );
    expect(unknown.status).toBe(204);
  });
});

describe('peer behaviours', () => {
  it('rejects files that are not shared, and files a rejecting peer refuses', async () => {
    await withBehaviour({});
    const id = await enqueueOne('@@alice\\Music\\not here.flac', 1000);
    const t = await until(id, 'Completed, Rejected');
    expect(t.exception).toBe('Transfer rejected: File not shared.');
    h.emulator.setBehaviour('alice', { reject: 'Too many files' });
    const second = await until(await enqueueOne(), 'Completed, Rejected');
    expect(second.exception).toBe('Transfer rejected: Too many files');
  });

  it('reports an offline user as 404 (batch), 500 (legacy) and presence Offline', async () => {
    await withBehaviour({ offline: true });
    const res = await batch([{ filename: A1, size: SIZE_A }]);
    expect(res.status).toBe(404);
    expect(res.json).toBe('User alice appears to be offline');
    const legacy = await h.api('POST', '/transfers/downloads/alice', [
      { filename: A1, size: SIZE_A },
    ]);
    expect(legacy.status).toBe(500);
    expect(legacy.json).toBe('User alice appears to be offline');
    expect((await h.api('GET', '/users/alice/status')).json).toEqual({
      isPrivileged: false,
      presence: 'Offline',
    });
    expect((await h.api('GET', '/users/alice/endpoint')).status).toBe(404);
    expect(h.emulator.enqueues).toEqual([]);
  });

  it('fails mid-transfer with "Download reported as failed by remote client"', async () => {
    await withBehaviour({ failAfterBytes: 10_000, uploadSpeed: 100_000 });
    const t = await until(await enqueueOne(), 'Completed, Errored');
    expect(t.exception).toBe('Download reported as failed by remote client');
    expect(t.bytesTransferred).toBe(10_000);
  });

  it('retries an errored download when retries are on: Errored flips back to "Queued, Locally"', async () => {
    await withBehaviour(
      { failAfterBytes: 15_000, uploadSpeed: 400_000 },
      { retry: { attempts: 3, delayMs: 60 } },
    );
    const id = await enqueueOne();
    await until(id, 'Completed, Errored');
    // The resumed attempt continues from the partial file, so the second attempt finishes.
    const t = await until(id, 'Completed, Succeeded');
    expect(t.attempts).toBe(2);
    const file = path.join(h.downloadsDir, 'Sine Waves (2021)', '01 - Tone A.flac');
    await waitFor(async () => (await stat(file).catch(() => undefined))?.size === SIZE_A);
    expect(await readFile(file)).toEqual(await readFile(TONE_A));
  });

  it('stalls in progress, and aborts on a size mismatch', async () => {
    await withBehaviour({ stallAfterBytes: 5000, uploadSpeed: 100_000 });
    const id = await enqueueOne();
    await waitFor(async () => (await get(id)).bytesTransferred === 5000);
    await new Promise((r) => setTimeout(r, 120));
    expect(await get(id)).toMatchObject({ state: 'InProgress', bytesTransferred: 5000 });
    const wrong = await until(await enqueueOne(A2, 999), 'Completed, Aborted');
    expect(wrong.exception).toBe(
      `Transfer aborted: the remote size of ${SIZE_B} does not match expected size 999`,
    );
  });
});

describe('lifecycle and versions', () => {
  it('restart() errors in-flight transfers with "Application shut down" and a new enqueue supersedes', async () => {
    await withBehaviour({ stallAfterBytes: 3000, uploadSpeed: 100_000 });
    const id = await enqueueOne();
    await until(id, 'InProgress');
    await h.emulator.restart();
    const t = await get(id);
    expect(t).toMatchObject({ state: 'Completed, Errored', exception: 'Application shut down' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await get(id)).state).toBe('Completed, Errored'); // not resumed
    h.emulator.setBehaviour('alice', { stallAfterBytes: undefined });
    const again = await enqueueOne();
    await until(again, 'Completed, Succeeded');
    expect((await get(id)).removed).toBe(true);
  });

  it('stop() refuses connections and start() listens again on the same port, state kept', async () => {
    await withBehaviour({});
    const id = await enqueueOne();
    const url = h.emulator.url;
    await h.emulator.stop();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await h.emulator.start();
    expect(h.emulator.url).toBe(url);
    expect((await until(id, 'Completed, Succeeded')).id).toBe(id);
  });

  it('legacy mode (0.25.1) has no batch route and the older transfer shape', async () => {
    h = await startHarness({ version: '0.25.1' });
    expect((await batch([{ filename: A1, size: SIZE_A }])).status).toBe(404);
    const res = await h.api('POST', '/transfers/downloads/alice', [
      { filename: A1, size: SIZE_A },
      { filename: A1, size: 1 },
    ]);
    expect(res.status).toBe(201);
    const { enqueued, failed } = res.json as { enqueued: TransferJson[]; failed: unknown[] };
    expect(failed).toEqual([{}]); // value tuples serialize as {}
    const t = await until(enqueued[0]?.id ?? '', 'Completed, Succeeded');
    expect(t).not.toHaveProperty('removed');
    expect(t).not.toHaveProperty('batchId');
    expect(t).toMatchObject({
      startOffset: 0,
      stateDescription: 'Completed, Succeeded',
      attempts: 0,
    });
  });
});

describe('the last bytes of a transfer', () => {
  it('land when the speed says, not at the next tick', async () => {
    // 28,949 bytes at 27,570 B/s: 1.05 s. In 500 ms ticks the third would end it at 1.5 s.
    await withBehaviour({ uploadSpeed: 27_570 }, { tickMs: 500 });
    const id = await enqueueOne();
    const done = await until(id, 'Completed, Succeeded', 10_000);
    const took = Date.parse(done.endedAt as string) - Date.parse(done.startedAt as string);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(1350);
  });
});
