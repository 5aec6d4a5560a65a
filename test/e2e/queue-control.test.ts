import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const TITLES = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot'];
const remote = (t: string) => `@@q\\Music\\Queue Band\\Order\\${t}.flac`;

/**
 * Queue control end to end: a real SoulSpot, the emulator, the public API. One peer, one slot, so
 * the order of enqueues at the emulator is the order SoulSpot ran the queue in.
 */
describe.each(testDialects())('queue control on %s', (dialect) => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot | undefined;
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;

  const start = async (env: Record<string, string> = {}) => {
    soulspot = await startSoulSpot(
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '1',
        SOULSPOT_MAX_RETRIES: '0',
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
        ...env,
      }),
      { listen: false },
    );
    return soulspot;
  };
  const api = async <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => {
    const res = await soulspot!.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': API_KEY },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const add = async (title: string, extra: object = {}) =>
    (await api<DownloadDto>('POST', '/api/downloads', { artist: 'Queue Band', title, ...extra }))
      .body;
  const get = async (id: string) => (await api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
  const until = (what: string, probe: () => Promise<boolean>) =>
    waitUntil(async () => (await probe()) || null, { what, timeoutMs: 90_000 });

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-queue-'));
    const file = path.join(root, 'tone.flac');
    await makeTone(file, { seconds: 2, format: 'flac' });
    emulator = await startEmulatorIn(root, [
      {
        username: 'quinn',
        behaviour: { uploadSpeed: 400_000 },
        files: TITLES.map((t) => ({ remotePath: remote(t), localPath: file })),
      },
      {
        username: 'slowpoke',
        behaviour: { uploadSpeed: 4_000 },
        files: [{ remotePath: '@@s\\Music\\Slow Band\\Crawl\\Slow Song.flac', localPath: file }],
      },
    ]);
    if (dialect === 'postgres') {
      const db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = db.url;
      drop = db.drop;
    }
  });
  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the queue in the order set by priority and reorder, paused across a restart', async () => {
    await start();
    // Paused, nothing starts; the pause survives a restart.
    expect((await api('POST', '/api/queue/pause')).body).toMatchObject({ paused: true });
    const [a, b, c, d, e] = await Promise.all(TITLES.slice(0, 5).map((t) => add(t)));
    await soulspot!.stop();
    await start();
    expect((await api('GET', '/api/queue')).body).toMatchObject({ paused: true });
    await sleep(500);
    expect(emulator.enqueues).toHaveLength(0);

    // e first, then d before b; c gets a high priority; a is moved to the end by place.
    expect((await api('POST', '/api/downloads/reorder', { ids: [e!.id] })).body).toMatchObject({
      successCount: 1,
      failedCount: 0,
    });
    await api('POST', '/api/downloads/reorder', { ids: [d!.id], before: b!.id });
    expect((await api('PATCH', `/api/downloads/${c!.id}`, { priority: 50 })).status).toBe(200);
    expect((await api('PATCH', `/api/downloads/${a!.id}`, { position: 99 })).status).toBe(200);

    await api('POST', '/api/queue/resume');
    await until('all five completed', async () => {
      const all = await Promise.all([a, b, c, d, e].map((x) => get(x!.id)));
      return all.every((x) => x.status === 'completed');
    });
    expect(emulator.enqueues.map((x) => x.filename)).toEqual(
      ['Charlie', 'Echo', 'Delta', 'Bravo', 'Alpha'].map(remote),
    );
  });

  it('reports a batch per id: done, not found, wrong status', async () => {
    const done = (await api<{ items: DownloadDto[] }>('GET', '/api/downloads?status=completed'))
      .body.items[0]!;
    await api('POST', '/api/queue/pause');
    const waiting = await add('Foxtrot');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await api('POST', '/api/downloads/batch', {
      ids: [waiting.id, done.id, unknown],
      action: 'cancel',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ successCount: 1, failedCount: 2 });
    const errors = (res.body as { errors: { id: string; code: string }[] }).errors;
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: done.id, code: 'conflict' }),
        expect.objectContaining({ id: unknown, code: 'not_found' }),
      ]),
    );
    expect((await get(waiting.id)).status).toBe('cancelled');
    // Retry by filter brings it back; remove deletes finished history.
    const retried = await api('POST', '/api/downloads/batch', {
      filter: { status: ['cancelled'], text: 'foxtrot' },
      action: 'retry',
    });
    expect(retried.body).toMatchObject({ successCount: 1, failedCount: 0 });
    expect((await get(waiting.id)).status).toBe('waiting');
    await api('POST', '/api/downloads/batch', { ids: [waiting.id], action: 'cancel' });
    expect(
      (await api('POST', '/api/downloads/batch', { ids: [waiting.id], action: 'remove' })).body,
    ).toMatchObject({ successCount: 1 });
    expect((await api('GET', `/api/downloads/${waiting.id}`)).status).toBe(404);
    await api('POST', '/api/queue/resume');
  });

  it('refuses bad queue commands with a 400 naming the field', async () => {
    const x = await add('Foxtrot', { album: 'Bad Input' });
    for (const [method, url, body, field] of [
      ['PATCH', `/api/downloads/${x.id}`, { scheduledAt: 'tomorrow' }, 'body/scheduledAt'],
      ['PATCH', `/api/downloads/${x.id}`, { scheduledAt: '2026-12-01 10:00' }, 'body/scheduledAt'],
      ['PATCH', `/api/downloads/${x.id}`, {}, 'body'],
      ['PATCH', `/api/downloads/${x.id}`, { position: -1 }, 'body/position'],
      ['POST', '/api/downloads/batch', { action: 'set_priority', ids: [x.id] }, 'body/priority'],
      ['POST', '/api/downloads/batch', { action: 'cancel' }, 'body'],
      ['POST', '/api/downloads/batch', { action: 'explode', ids: [x.id] }, 'body/action'],
      [
        'POST',
        '/api/downloads/batch',
        { action: 'cancel', filter: { createdBefore: 'yesterday' } },
        'body/filter/createdBefore',
      ],
      ['POST', '/api/downloads/reorder', { ids: [] }, 'body/ids'],
      ['POST', '/api/downloads/reorder', { ids: [x.id], before: x.id }, 'body'],
    ] as const) {
      const res = await api(method, url, body);
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      expect(String(res.body.message)).toContain(field);
    }
    await api('POST', '/api/downloads/batch', { ids: [x.id], action: 'cancel' });
  });

  it('pauses an in-flight transfer (cancelled at slskd) and resumes it with a fresh enqueue after a restart', async () => {
    const slow = (
      await api<DownloadDto>('POST', '/api/downloads', { artist: 'Slow Band', title: 'Slow Song' })
    ).body;
    await until(
      'the slow transfer moving',
      async () => (await get(slow.id)).status === 'downloading',
    );
    const cancelsBefore = emulator.cancels.length;
    const paused = await api('POST', '/api/downloads/batch', { ids: [slow.id], action: 'pause' });
    expect(paused.body).toMatchObject({ successCount: 1 });
    expect((await get(slow.id)).status).toBe('paused');
    await until('the transfer cancelled at slskd', async () =>
      emulator.cancels.slice(cancelsBefore).some((x) => x.username === 'slowpoke'),
    );
    await soulspot!.stop();
    await start();
    expect((await get(slow.id)).status).toBe('paused');
    const enqueues = () => emulator.enqueues.filter((x) => x.username === 'slowpoke').length;
    expect(enqueues()).toBe(1);
    await sleep(300);
    expect(enqueues()).toBe(1);
    await emulator.setBehaviour('slowpoke', { uploadSpeed: 400_000 });
    expect(
      (await api('POST', '/api/downloads/batch', { ids: [slow.id], action: 'resume' })).body,
    ).toMatchObject({
      successCount: 1,
    });
    await until(
      'the resumed download completed',
      async () => (await get(slow.id)).status === 'completed',
    );
    expect(enqueues()).toBe(2);
  });

  it('starts a scheduled download at its time, not before', async () => {
    await api('PATCH', '/api/settings', { timeWindows: [] });
    await api('POST', '/api/queue/pause');
    const x = await add('Scheduled One', { album: 'Later' });
    const at = Date.now() + 1500;
    const res = await api<DownloadDto>('PATCH', `/api/downloads/${x.id}`, {
      scheduledAt: new Date(at).toISOString(),
    });
    expect(res.body.status).toBe('scheduled');
    expect(res.body.scheduledAt).toBe(new Date(at).toISOString());
    await api('POST', '/api/queue/resume');
    expect((await api('GET', '/api/queue')).body).toMatchObject({
      byHold: { scheduled: 1 },
      nextScheduledAt: new Date(at).toISOString(),
    });
    await until('the schedule ended', async () => (await get(x.id)).status !== 'scheduled');
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    // Nothing shares this title: it searched (after its time) and ended without a source.
    await until('searched and ended', async () => (await get(x.id)).status === 'failed');
  });

  // Before: the scheduler slept on (up to a minute) past a time set by a create.
  it('starts a download created scheduled at its time, woken by its timer', async () => {
    await api('PATCH', '/api/settings', { timeWindows: [] });
    // A schedule far off first, so the scheduler sleeps its longest before the create.
    const far = await add('Scheduled Far', {
      album: 'Later',
      scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const at = Date.now() + 1500;
    const x = await add('Scheduled At Create', {
      album: 'Later',
      scheduledAt: new Date(at).toISOString(),
    });
    expect(x).toMatchObject({ status: 'scheduled', scheduledAt: new Date(at).toISOString() });
    await waitUntil(async () => (await get(x.id)).status !== 'scheduled' || null, {
      what: 'the schedule set at create ended',
      // Well past its time, well short of the scheduler's one-minute sleep it used to keep.
      timeoutMs: 30_000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    await api('POST', '/api/downloads/batch', { ids: [far.id], action: 'cancel' });
    await until('searched and ended', async () => (await get(x.id)).status === 'failed');
  });

  it('starts nothing outside the time windows, and starts once a window opens', async () => {
    const today = new Date();
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const otherDay = days[(today.getUTCDay() + 3) % 7]!;
    const closed = await api('PATCH', '/api/settings', {
      timeZone: 'UTC',
      timeWindows: [{ days: otherDay, from: '00:00', to: '23:59' }],
    });
    expect(closed.status).toBe(200);
    expect((await api('GET', '/api/queue')).body).toMatchObject({ timeWindows: { open: false } });
    const y = await add('Foxtrot', { album: 'Windowed' });
    await sleep(1500);
    expect((await get(y.id)).status).toBe('waiting');
    await api('PATCH', '/api/settings', {
      timeWindows: [{ days: days[today.getUTCDay()]!, from: '00:00', to: '00:00' }],
    });
    expect((await api('GET', '/api/queue')).body).toMatchObject({ timeWindows: { open: true } });
    await until(
      'the windowed download completed',
      async () => (await get(y.id)).status === 'completed',
    );
  });
});
