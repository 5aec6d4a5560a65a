import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { testDialects } from './helpers/db.js';
import { useApiServer } from './helpers/api-server.js';

type Page = { items: DownloadDto[]; nextCursor: string | null };

/**
 * GET /api/downloads?order=queue (the order the runner claims in), provider= and q=, over real
 * HTTP (inject) on both databases: the web UI's queue view pages through these.
 */
describe.each(testDialects())('GET /api/downloads order=queue, provider, q on %s', (dialect) => {
  const api = useApiServer(dialect);

  const all = async (query: string, limit: number): Promise<DownloadDto[]> => {
    const out: DownloadDto[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await api.send(
        'GET',
        `/api/downloads?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      const page = res.json as unknown as Page;
      out.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return out;
    }
    throw new Error('too many pages');
  };

  it('lists in queue order across priorities, pages by keyset and follows a reorder', async () => {
    const items = Array.from({ length: 9 }, (_, i) => ({
      artist: 'Queue Order',
      title: `Song ${i}`,
      // Three priorities, so pages cross from one priority to the next.
      priority: [0, 5, -3][i % 3],
    }));
    const bulk = await api.send('POST', '/api/downloads/bulk', { items });
    expect(bulk.status).toBe(200);
    const ids = (bulk.json.items as { id: string }[]).map((i) => i.id);
    const byTitle = (rows: DownloadDto[]) => rows.map((d) => d.title);

    const expected = ['Song 1', 'Song 4', 'Song 7', 'Song 0', 'Song 3', 'Song 6'].concat([
      'Song 2',
      'Song 5',
      'Song 8',
    ]);
    for (const limit of [1, 2, 4, 500]) {
      expect(byTitle(await all('order=queue&q=queue%20order', limit)), `limit ${limit}`).toEqual(
        expected,
      );
    }

    // Move Song 8 (priority -3) before Song 0: it takes Song 0's priority and runs before it.
    const moved = await api.send('POST', '/api/downloads/reorder', {
      ids: [ids[8]],
      before: ids[0],
    });
    expect(moved.status).toBe(200);
    expect(byTitle(await all('order=queue&q=queue%20order', 2))).toEqual([
      'Song 1',
      'Song 4',
      'Song 7',
      'Song 8',
      'Song 0',
      'Song 3',
      'Song 6',
      'Song 2',
      'Song 5',
    ]);
    // The same rows newest first are all there too (a bulk shares one creation time: id order).
    expect((await all('q=queue%20order', 4)).map((d) => d.id)).toEqual([...ids].sort().reverse());
  });

  it('filters by text case-insensitively over artist, title and album, wildcards literal', async () => {
    const items = [
      { artist: 'Zzq Band', title: 'Plain' },
      { artist: 'Other', title: 'The zZQ song' },
      { artist: 'Other', title: 'Third', album: 'ZZQ Live' },
      { artist: 'Other', title: '100% zzq_x' },
      { artist: 'Nothing', title: 'Here' },
    ];
    expect((await api.send('POST', '/api/downloads/bulk', { items })).status).toBe(200);
    for (const order of ['newest', 'oldest', 'queue']) {
      const titles = (await all(`order=${order}&q=ZZQ`, 2)).map((d) => d.title).sort();
      expect(titles, order).toEqual(['100% zzq_x', 'Plain', 'The zZQ song', 'Third']);
    }
    // `%` and `_` match themselves, not any text.
    expect((await all('q=0%25%20zzq_', 10)).map((d) => d.title)).toEqual(['100% zzq_x']);
    expect(await all('q=zzq%25band', 10)).toEqual([]);
    // A name with a capital letter outside ASCII is found as it is written (SQLite's lower()
    // folds ASCII only, so the text must be lowered by the same function as the column).
    const umlaut = await api.send('POST', '/api/downloads', {
      artist: 'Ärzte Umlaut',
      title: 'Ölig',
    });
    expect(umlaut.status).toBe(201);
    expect((await all('q=%C3%84rzte%20umlaut', 10)).map((d) => d.title)).toEqual(['Ölig']);
    expect((await all('q=%C3%96lig', 10)).map((d) => d.title)).toEqual(['Ölig']);
    // Combined with a status filter.
    const waiting = await all('order=queue&status=waiting&q=zzq', 10);
    expect(waiting).toHaveLength(4);
    expect(await all('order=queue&status=completed&q=zzq', 10)).toEqual([]);
  });

  it('filters by the provider of the current source', async () => {
    const created = await api.send('POST', '/api/downloads', {
      artist: 'Provider Filter',
      title: 'With source',
    });
    const other = await api.send('POST', '/api/downloads', {
      artist: 'Provider Filter',
      title: 'No source',
    });
    expect(created.status).toBe(201);
    expect(other.status).toBe(201);
    const id = created.json.id as string;
    const { db } = api.server.soulspot.db;
    const attemptId = randomUUID();
    const now = Date.now();
    await db
      .insertInto('attempts')
      .values({
        id: attemptId,
        download_id: id,
        round: 0,
        provider: 'slskd',
        username: 'peer',
        filename: '@@m\\Provider Filter\\With source.flac',
        size: 10,
        extension: 'flac',
        batch_id: randomUUID(),
        state: 'enqueued',
        requeues: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db
      .updateTable('downloads')
      .set({ current_attempt_id: attemptId })
      .where('id', '=', id)
      .execute();
    for (const order of ['newest', 'queue']) {
      const rows = await all(`order=${order}&provider=slskd&q=provider%20filter`, 10);
      expect(
        rows.map((d) => [d.title, d.source?.provider]),
        order,
      ).toEqual([['With source', 'slskd']]);
    }
    expect(await all('provider=torznab&q=provider%20filter', 10)).toEqual([]);
  });

  it('rejects bad input with a 400 naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['order=sideways', /order/],
      ['q=', /q/],
      [`q=${'x'.repeat(201)}`, /q/],
      ['provider=', /provider/],
      ['provider=%20', /provider/],
      ['status=waiting,bogus', /status/],
    ];
    for (const [query, field] of cases) {
      const res = await api.send('GET', `/api/downloads?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.message, query).toMatch(field);
    }
  });

  it('takes a queue cursor only in queue order, and the other way round', async () => {
    await api.send('POST', '/api/downloads/bulk', {
      items: [
        { artist: 'Cursor', title: 'A' },
        { artist: 'Cursor', title: 'B' },
      ],
    });
    const queued = (await api.send('GET', '/api/downloads?order=queue&q=cursor&limit=1'))
      .json as unknown as Page;
    const newest = (await api.send('GET', '/api/downloads?q=cursor&limit=1'))
      .json as unknown as Page;
    expect(queued.nextCursor).not.toBeNull();
    expect(newest.nextCursor).not.toBeNull();
    const wrong1 = await api.send(
      'GET',
      `/api/downloads?order=queue&q=cursor&cursor=${newest.nextCursor}`,
    );
    const wrong2 = await api.send('GET', `/api/downloads?q=cursor&cursor=${queued.nextCursor}`);
    expect(wrong1.status).toBe(400);
    expect(wrong2.status).toBe(400);
    expect(wrong1.json.message).toMatch(/cursor/);
    // A forged queue cursor with a position that is not a fractional key is refused, not run.
    const forged = Buffer.from(
      JSON.stringify(['q', 0, "a0' OR 1=1", Date.now(), randomUUID()]),
    ).toString('base64url');
    expect((await api.send('GET', `/api/downloads?order=queue&cursor=${forged}`)).status).toBe(400);
  });
});
