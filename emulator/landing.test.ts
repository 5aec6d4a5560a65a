// How finished files land (types.ts FileLanding, PeerBehaviour/SimFile localFilename): the move a
// while after "Completed, Succeeded", a cross-device move that copies slowly, a hostile localFilename,
// and noise in the events log. All through the real HTTP API.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness, TransferJson } from './test-support.js';
import { A1, alice, startHarness, TONE_A, waitFor } from './test-support.js';

let h: Harness;
afterEach(async () => h?.close());

const SIZE_A = 28949;
const LANDED = (downloads: string) => path.join(downloads, 'Sine Waves (2021)', '01 - Tone A.flac');

interface EventJson {
  type: string;
  data: string;
}
interface CompleteData {
  localFilename: string;
  remoteFilename: string;
  transfer: { id: string };
}

async function enqueue(): Promise<string> {
  const res = await h.api('POST', '/transfers/downloads/batches', {
    username: 'alice',
    files: [{ filename: A1, size: SIZE_A }],
  });
  expect(res.status).toBe(201);
  return (res.json as { batch: { transfers: TransferJson[] } }).batch.transfers[0]?.id ?? '';
}
const state = async (id: string): Promise<string> =>
  ((await h.api('GET', `/transfers/downloads/alice/${id}`)).json as TransferJson).state;
const events = async (): Promise<EventJson[]> =>
  (await h.api('GET', '/events?offset=0&limit=100')).json as EventJson[];
const sizeOf = (file: string): Promise<number | null> =>
  stat(file).then(
    (s) => s.size,
    () => null,
  );

describe('file landing', () => {
  it('moves the file a configurable while after "Completed, Succeeded", then raises the event', async () => {
    h = await startHarness({ landing: { moveDelayMs: 600 } });
    const id = await enqueue();
    await waitFor(async () => (await state(id)) === 'Completed, Succeeded');
    // Succeeded, but neither the file nor the event is there yet.
    expect(await sizeOf(LANDED(h.downloadsDir))).toBeNull();
    expect((await events()).filter((e) => e.type === 'DownloadFileComplete')).toEqual([]);
    const complete = await waitFor(async () =>
      (await events()).find((e) => e.type === 'DownloadFileComplete'),
    );
    const data = JSON.parse(complete.data) as CompleteData;
    expect(data.localFilename).toBe(LANDED(h.downloadsDir));
    expect(await readFile(data.localFilename)).toEqual(await readFile(TONE_A));
  });

  it('copies across devices: the destination grows before the event fires', async () => {
    h = await startHarness({ landing: { crossDeviceMove: { bytesPerSecond: 20_000 } } });
    const id = await enqueue();
    await waitFor(async () => (await state(id)) === 'Completed, Succeeded');
    // Seen part-written (more than 0, less than all) while no event names it yet.
    const partial = await waitFor(async () => {
      const size = await sizeOf(LANDED(h.downloadsDir));
      return size !== null && size > 0 && size < SIZE_A ? size : undefined;
    });
    expect(partial).toBeLessThan(SIZE_A);
    expect((await events()).filter((e) => e.type === 'DownloadFileComplete')).toEqual([]);
    await waitFor(async () => (await events()).find((e) => e.type === 'DownloadFileComplete'));
    expect(await readFile(LANDED(h.downloadsDir))).toEqual(await readFile(TONE_A));
  });

  it('reports a hostile localFilename (per peer, and per file winning) while the file lands normally', async () => {
    h = await startHarness({ users: [alice({ behaviour: { localFilename: '/etc/passwd' } })] });
    await enqueue();
    const first = await waitFor(async () =>
      (await events()).find((e) => e.type === 'DownloadFileComplete'),
    );
    expect((JSON.parse(first.data) as CompleteData).localFilename).toBe('/etc/passwd');
    expect(await readFile(LANDED(h.downloadsDir))).toEqual(await readFile(TONE_A));

    h.emulator.addUser(
      alice({
        behaviour: { localFilename: '/etc/passwd' },
        files: [{ remotePath: A1, localPath: TONE_A, localFilename: '../outside.flac' }],
      }),
    );
    await enqueue();
    const second = await waitFor(async () => {
      const all = (await events()).filter((e) => e.type === 'DownloadFileComplete');
      return all.length === 2 ? all[0] : undefined;
    });
    expect((JSON.parse(second.data) as CompleteData).localFilename).toBe('../outside.flac');
  });

  it('adds noise: an older DownloadFileComplete of the same file naming a decoy, and uploads', async () => {
    h = await startHarness();
    h.emulator.setLanding({ extraEvents: true });
    const id = await enqueue();
    const log = await waitFor(async () => {
      const all = await events();
      return all.filter((e) => e.type === 'DownloadFileComplete').length === 2 ? all : undefined;
    });
    const completes = log
      .filter((e) => e.type === 'DownloadFileComplete')
      .map((e) => JSON.parse(e.data) as CompleteData);
    expect(completes[0]?.transfer.id).toBe(id);
    expect(completes[0]?.localFilename).toBe(LANDED(h.downloadsDir));
    expect(completes[1]?.remoteFilename).toBe(A1);
    expect(completes[1]?.transfer.id).not.toBe(id);
    expect(completes[1]?.localFilename).not.toBe(completes[0]?.localFilename);
    // The older record's file exists (a zero-filled decoy of the same size), to catch a client
    // that takes it.
    expect(await sizeOf(completes[1]?.localFilename ?? '')).toBe(SIZE_A);
    // Noise on both sides of this transfer's event: an upload after it, and one before it.
    const ours = log.findIndex((e) => e.type === 'DownloadFileComplete');
    expect(log.findIndex((e) => e.type === 'UploadFileComplete')).toBeLessThan(ours);
    expect(log.slice(ours + 1).some((e) => e.type === 'UploadFileComplete')).toBe(true);

    // The knob can be switched off again (null = default).
    h.emulator.setLanding({ extraEvents: null });
    const control = await fetch(`${h.emulator.url}/emulator/landing`, {
      method: 'POST',
      body: JSON.stringify({ moveDelayMs: 5 }),
    });
    expect(await control.json()).toEqual({ moveDelayMs: 5 });
    const bad = await fetch(`${h.emulator.url}/emulator/landing`, {
      method: 'POST',
      body: JSON.stringify({ nope: 1 }),
    });
    expect(bad.status).toBe(400);
  });
});
