import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { makeTone } from './helpers/audio.js';
import { API_KEY, startStack, type Stack } from './helpers/stack.js';

type Page = { items: DownloadDto[]; nextCursor: string | null };

describe('REST API', () => {
  let stack: Stack;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-api-'));
    const file = path.join(dir, 'slow.flac');
    await makeTone(file, { seconds: 3, format: 'flac' });
    stack = await startStack({
      users: [
        {
          username: 'slowpoke',
          behaviour: { stuckInQueue: true },
          files: [
            {
              remotePath: '@@sp\\Music\\Stuck Band\\Waiting Room\\01 - Forever.flac',
              localPath: file,
            },
          ],
        },
      ],
      // Nothing else is shared, so other tracks end without a source quickly.
      env: { SOULSPOT_MAX_RETRIES: '0' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const raw = (
    method: string,
    p: string,
    init: { key?: string | null; body?: string; type?: string } = {},
  ) =>
    fetch(`${stack.soulspot.url}${p}`, {
      method,
      headers: {
        ...(init.key === null ? {} : { 'x-api-key': init.key ?? API_KEY }),
        ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });

  it('requires X-Api-Key on everything but /api/health', async () => {
    for (const [method, p] of [
      ['GET', '/api/downloads'],
      ['POST', '/api/downloads'],
      ['GET', '/api/events'],
      ['GET', '/api/docs'],
    ] as const) {
      const res = await raw(method, p, { key: null });
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(await res.json()).toMatchObject({
        statusCode: 401,
        message: expect.stringContaining('X-Api-Key'),
      });
    }
    expect((await raw('GET', '/api/downloads', { key: 'wrong-key-of-some-length' })).status).toBe(
      401,
    );
    // Percent-encoded paths reach the same routes and must not slip past the check.
    for (const p of [
      '/%61pi/downloads',
      '/api/%64ownloads',
      '/api//downloads',
      '/api/downloads/',
    ]) {
      expect((await raw('GET', p, { key: null })).status, p).toBe(401);
    }
    const encodedPost = await raw('POST', '/%61pi/blocklist', {
      key: null,
      body: '{"username":"x"}',
    });
    expect(encodedPost.status).toBe(401);
    const health = await raw('GET', '/api/health', { key: null });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      providers: { slskd: { state: expect.stringMatching(/up|unknown/) } },
    });
  });

  it.each([
    [{ title: 'x' }, 'artist'],
    [{ artist: 'a', title: 7 }, 'title'],
    [{ artist: 'a', title: '   ' }, 'title'],
    [{ artist: 'a', title: 't', trackNumber: 0 }, 'trackNumber'],
    [{ artist: 'a', title: 't', priority: 1.5 }, 'priority'],
    [{ artist: 'a', title: 't', titel: 'typo' }, 'titel'],
    [{ artist: 'a', title: 't', durationSeconds: -3 }, 'durationSeconds'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await raw('POST', '/api/downloads', { body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { message: string };
    expect(json.message).toContain(field);
  });

  it('rejects malformed JSON and bad query values with 400', async () => {
    expect((await raw('POST', '/api/downloads', { body: '{"artist":' })).status).toBe(400);
    const badStatus = await raw('GET', '/api/downloads?status=waiting,sleeping');
    expect(badStatus.status).toBe(400);
    expect(((await badStatus.json()) as { message: string }).message).toContain('status');
    expect((await raw('GET', '/api/downloads?limit=0')).status).toBe(400);
    expect((await raw('GET', '/api/downloads?cursor=garbage')).status).toBe(400);
    // Ids are the UUIDs SoulSpot made: anything else is a 400, a well-formed unknown one a 404.
    expect((await raw('GET', '/api/downloads/does-not-exist')).status).toBe(400);
    expect((await raw('GET', '/api/downloads/0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11')).status).toBe(
      404,
    );
  });

  it('returns the active download instead of a duplicate', async () => {
    const first = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Dup Artist',
      title: 'Dup Song',
      priority: 5,
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'waiting',
      priority: 5,
      retryCount: 0,
      source: null,
      attempts: [],
    });
    const second = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'dup artist',
      title: 'DUP SONG',
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  it('pages newest first with a keyset cursor and filters by status', async () => {
    for (let i = 0; i < 7; i++)
      await stack.api('POST', '/api/downloads', { artist: 'Pager', title: `Song ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await stack.api<Page>(
        'GET',
        `/api/downloads?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await stack.api<Page>('GET', '/api/downloads?limit=500');
    expect(seen).toEqual(all.body.items.map((d) => d.id));
    const created = all.body.items.map((d) => d.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const failed = await stack.waitFor((items) =>
      items.some((d) => d.artist === 'Pager' && d.status === 'failed'),
    );
    const filtered = await stack.api<Page>('GET', '/api/downloads?status=failed');
    expect(filtered.body.items.length).toBeGreaterThan(0);
    expect(filtered.body.items.every((d) => d.status === 'failed')).toBe(true);
    const noResult = failed.find((d) => d.artist === 'Pager' && d.status === 'failed')!;
    expect(noResult.errorCode).toBe('no_results');
    expect(noResult.errorMessage).toBeTruthy();
  });

  it('cancels a queued download at slskd too, and retries it on request', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Stuck Band',
      title: 'Forever',
    });
    await stack.waitFor((items) =>
      items.some(
        (d) => d.id === created.body.id && d.status === 'queued' && d.attempts[0]?.transferId,
      ),
    );
    const cancelled = await stack.api<DownloadDto>('DELETE', `/api/downloads/${created.body.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.attempts[0]?.outcome).toBe('cancelled');
    const transferId = cancelled.body.attempts[0]!.transferId!;
    const t = await fetch(
      `${stack.emulator.url}/api/v0/transfers/downloads/slowpoke/${transferId}`,
      {
        headers: { 'x-api-key': stack.config.slskdApiKey! },
      },
    );
    expect(((await t.json()) as { state: string }).state).toBe('Completed, Cancelled');
    expect((await stack.api('DELETE', `/api/downloads/${created.body.id}`)).status).toBe(409);

    const retried = await stack.api<DownloadDto>('POST', `/api/downloads/${created.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'waiting', retryCount: 0, errorCode: null });
  });

  it('streams download.updated events and replays after Last-Event-ID', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.soulspot.url}/api/events`, {
      headers: { 'x-api-key': API_KEY },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Event Artist',
      title: 'Event Song',
    });
    let text = '';
    while (!text.includes(created.body.id))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const match = /id: (\d+)\nevent: download\.updated\ndata: (.*)\n/.exec(text);
    expect(match).not.toBeNull();
    const firstId = Number(match![1]);
    expect(JSON.parse(match![2]!)).toMatchObject({ id: created.body.id, artist: 'Event Artist' });

    const replay = new AbortController();
    const again = await fetch(`${stack.soulspot.url}/api/events`, {
      headers: { 'x-api-key': API_KEY, 'last-event-id': String(firstId - 1) },
      signal: replay.signal,
    });
    const r2 = again.body!.getReader();
    let replayed = '';
    while (!replayed.includes(`id: ${firstId}\n`))
      replayed += new TextDecoder().decode((await r2.read()).value);
    replay.abort();
  });

  it('serves the OpenAPI document at /api/docs/json', async () => {
    const res = await stack.api<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/docs/json',
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/downloads',
        '/api/downloads/{id}',
        '/api/downloads/{id}/retry',
        '/api/health',
      ]),
    );
  });
});
