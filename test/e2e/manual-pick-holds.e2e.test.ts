// Manual pick (POST /api/downloads/{id}/source) where the old transfer cannot simply be stopped:
// slskd does not answer the cancel, the download is paused, the download was just cancelled.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../emulator/emulator.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { sleep } from '../helpers/wait.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../../emulator/scenarios/manual-pick.yaml');
const ARTIST = 'The Sine Project';
/** The pick's hold (source-pick.service.ts HOLD_MS): without the cancel, nothing starts before it. */
const HOLD_MS = 30_000;

describe.each(testDialects())('manual pick while the old transfer holds on (%s)', (dialect) => {
  let stack: Stack;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const scenario = await loadScenario(SCENARIO);
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: scenario.users,
      env: { SOULSPOT_MAX_RETRIES: '1' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  const one = (id: string, ok: (d: DownloadDto) => boolean) =>
    stack
      .waitFor((items) => items.some((d) => d.id === id && ok(d)))
      .then((items) => items.find((d) => d.id === id) as DownloadDto);
  const candidates = async (id: string) =>
    (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`)).body;
  const pick = (id: string, candidateId: string) =>
    stack.api<DownloadDto & { message?: string }>('POST', `/api/downloads/${id}/source`, {
      candidateId,
    });
  /** A download of Tone A queued for ever at the stuck peer, and the MP3 to pick instead. */
  const stuckDownload = async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone A',
    });
    const id = created.body.id;
    await one(id, (d) => d.status === 'queued' && d.source?.username === 'stuckpeer');
    const stuck = stack.emulator.enqueues.filter((e) => e.username === 'stuckpeer').at(-1)!;
    const mp3 = (await candidates(id)).ranked.find((r) => r.username === 'mp3peer')!;
    return { id, stuck, mp3 };
  };
  const enqueuesOf = (filename: string, since: number) =>
    stack.emulator.enqueues.slice(since).filter((e) => e.filename === filename);

  it('slskd does not answer the cancel: the pick is kept, the download says why it waits, and the cancel is retried until it gets through', async () => {
    const { id, stuck, mp3 } = await stuckDownload();
    const before = stack.emulator.enqueues.length;
    await stack.emulator.stop();
    let picked: Awaited<ReturnType<typeof pick>>;
    const pickedAt = Date.now();
    try {
      picked = await pick(id, mp3.candidateId);
      expect(picked.status, picked.body.message).toBe(200);
      expect(picked.body.status).toBe('waiting');
      expect(picked.body.errorMessage).toMatch(/^Waiting to cancel the previous transfer at slskd/);
      const held = await candidates(id);
      expect(held.pick).toMatchObject({ candidateId: mp3.candidateId, state: 'pending' });
      await sleep(1_500); // a few retries fail meanwhile
    } finally {
      await stack.emulator.start();
    }
    const done = await one(id, (d) => d.status === 'completed' || d.status === 'failed');
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source?.username).toBe('mp3peer');
    expect(done.errorMessage).toBeNull();
    // The old transfer was cancelled first, and the picked file enqueued once, well inside the
    // hold: the retried cancel ended it, not the hold running out.
    const cancel = stack.emulator.cancels.find((c) => c.transferId === stuck.transferId);
    expect(cancel).toBeDefined();
    const toMp3 = enqueuesOf(mp3.filename, before);
    expect(toMp3).toHaveLength(1);
    expect(toMp3[0]!.at).toBeGreaterThanOrEqual(cancel!.at);
    expect(toMp3[0]!.at - pickedAt).toBeLessThan(HOLD_MS - 5_000);
  });

  it('a paused download takes the pick at once and stays paused: the old transfer is cancelled, the picked file starts on resume', async () => {
    const { id, stuck, mp3 } = await stuckDownload();
    const paused = await stack.api('POST', '/api/downloads/batch', { ids: [id], action: 'pause' });
    expect(paused.status).toBe(200);
    const before = stack.emulator.enqueues.length;
    const picked = await pick(id, mp3.candidateId);
    expect(picked.status, picked.body.message).toBe(200);
    expect(picked.body.status).toBe('paused');
    expect(stack.emulator.cancels.map((c) => c.transferId)).toContain(stuck.transferId);
    await sleep(1_000);
    // Paused means paused: nothing was enqueued for the pick, and it is still pending.
    expect(enqueuesOf(mp3.filename, before)).toHaveLength(0);
    expect((await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body.status).toBe(
      'paused',
    );
    expect((await candidates(id)).pick).toMatchObject({ state: 'pending' });

    const resumed = await stack.api('POST', '/api/downloads/batch', {
      ids: [id],
      action: 'resume',
    });
    expect(resumed.status).toBe(200);
    const done = await one(id, (d) => d.status === 'completed' || d.status === 'failed');
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source?.username).toBe('mp3peer');
    expect(enqueuesOf(mp3.filename, before)).toHaveLength(1);
  });

  it('a download being cancelled (slskd did not take the cancel yet) takes the pick: the old transfer is made sure of before the picked file starts', async () => {
    const { id, stuck, mp3 } = await stuckDownload();
    const before = stack.emulator.enqueues.length;
    // The cancel is committed at once; its call to slskd fails (slskd down): the old transfer
    // still sits in the stuck peer's queue when the pick comes.
    await stack.emulator.stop();
    try {
      const cancelled = await stack.api<DownloadDto>('DELETE', `/api/downloads/${id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      const picked = await pick(id, mp3.candidateId);
      expect(picked.status, picked.body.message).toBe(200);
      expect(picked.body).toMatchObject({ status: 'waiting', retryCount: 0 });
      expect(picked.body.errorMessage).toMatch(/^Waiting to cancel the previous transfer/);
    } finally {
      await stack.emulator.start();
    }
    const done = await one(id, (d) => d.status === 'completed' || d.status === 'failed');
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source?.username).toBe('mp3peer');
    const cancel = stack.emulator.cancels.find((c) => c.transferId === stuck.transferId);
    expect(cancel).toBeDefined();
    const toMp3 = enqueuesOf(mp3.filename, before);
    expect(toMp3).toHaveLength(1);
    expect(toMp3[0]!.at).toBeGreaterThanOrEqual(cancel!.at);
  });
});
