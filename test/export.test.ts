import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parse } from 'csv-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { Emulator } from '../emulator/emulator.js';
import { newDownloadRow } from '../src/downloads/accept.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import { EXPORT_COLUMN_NAMES } from '../src/export/export.columns.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { API_KEY, fastEnv, startEmulatorIn } from './helpers/stack.js';

const ROWS = 100_000;

/**
 * A full collection on demand, so the memory measured is what is live, not garbage V8 has not
 * collected yet (which under load can be a hundred MB and says nothing about retention).
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const T0 = Date.UTC(2025, 0, 1);
const STATUSES: DownloadStatus[] = ['completed', 'completed', 'completed', 'failed', 'cancelled'];
/** Cells a spreadsheet would run as formulas, and cells CSV must quote. */
const HOSTILE = {
  artist: '=HYPERLINK("http://evil.example/","click")',
  title: '+1+cmd|"/c calc"!A0',
  album: '-2+3',
  genre: '@SUM(1,1)',
  album_artist: '\t=1',
  error_message: '\r=2',
};
const QUOTED_TITLE = 'Comma, "quote" and\nnew line';

describe.each(testDialects())('history export on %s', (dialect) => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot;
  let dropPg: (() => Promise<void>) | undefined;
  const hostileId = randomUUID();
  const quotedId = randomUUID();

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-export-'));
    emulator = await startEmulatorIn(root, []);
    const pg =
      dialect === 'postgres'
        ? await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string)
        : undefined;
    dropPg = pg?.drop;
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      ...(pg ? { SOULSPOT_DATABASE_URL: pg.url } : {}),
    });
    soulspot = await startSoulSpot(config, { runWorkers: false });
    // Direct SQL in batches, one second apart each: the export's order is known.
    for (let i = 0; i < ROWS; i += 500) {
      const rows = Array.from({ length: Math.min(500, ROWS - i) }, (_, k) => {
        const n = i + k;
        const t = T0 + n * 1000;
        const row = newDownloadRow({ artist: `Artist ${n % 997}`, title: `Title ${n}` }, t, 3);
        const status = STATUSES[n % STATUSES.length]!;
        return {
          ...row,
          status,
          size: 1000 + n,
          completed_at: status === 'completed' ? t + 500 : null,
          error_code: status === 'failed' ? 'transfer_failed' : null,
          ...(n === 7 ? { id: hostileId, ...HOSTILE } : {}),
          ...(n === 8 ? { id: quotedId, title: QUOTED_TITLE } : {}),
        };
      });
      await soulspot.db.db.insertInto('downloads').values(rows).execute();
    }
  }, 300_000);

  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await dropPg?.();
    rmSync(root, { recursive: true, force: true });
  });

  const get = (query: string, key = API_KEY) =>
    fetch(`${soulspot.url}/api/downloads/export${query}`, { headers: { 'x-api-key': key } });

  it('streams 100,000 rows of CSV in constant memory, parsed back row for row', async () => {
    const res = await get('?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="soulspot-history-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    // No Content-Length: the body is streamed, not built first.
    expect(res.headers.get('content-length')).toBeNull();

    gc();
    const baseline = process.memoryUsage();
    let peakHeap = 0;
    let peakRss = 0;
    const measure = (): void => {
      gc();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed - baseline.heapUsed);
      peakRss = Math.max(peakRss, m.rss - baseline.rss);
    };
    let count = 0;
    let bytes = 0;
    let header: string[] = [];
    const kept = new Map<number, Record<string, string>>();
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const parser = body.pipe(parse({ relax_quotes: false, bom: false }));
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header.length === 0) {
        header = record;
        continue;
      }
      if (count < 10 || count === ROWS - 1)
        kept.set(count, Object.fromEntries(header.map((h, i) => [h, record[i]!])));
      count++;
      // Mid-stream: the server is part-way through its pages, the client through its parse.
      if (count % 10_000 === 0) measure();
    }
    console.log(
      `${dialect}: ${count} rows, ${(bytes / 1e6).toFixed(1)} MB of CSV; peak growth heap ${(peakHeap / 1e6).toFixed(1)} MB, rss ${(peakRss / 1e6).toFixed(1)} MB`,
    );

    expect(header).toEqual(EXPORT_COLUMN_NAMES);
    expect(count).toBe(ROWS);
    // Oldest first.
    expect(kept.get(0)).toMatchObject({
      title: 'Title 0',
      status: 'completed',
      size: '1000',
      createdAt: new Date(T0).toISOString(),
      completedAt: new Date(T0 + 500).toISOString(),
    });
    expect(kept.get(3)).toMatchObject({
      status: 'failed',
      errorCode: 'transfer_failed',
      completedAt: '',
    });
    expect(kept.get(ROWS - 1)).toMatchObject({ title: `Title ${ROWS - 1}` });
    // Formula cells come back with the leading apostrophe; quoting survives the round trip.
    expect(kept.get(7)).toMatchObject({
      id: hostileId,
      artist: `'${HOSTILE.artist}`,
      title: `'${HOSTILE.title}`,
      album: `'${HOSTILE.album}`,
      genre: `'${HOSTILE.genre}`,
      albumArtist: `'${HOSTILE.album_artist}`,
      errorMessage: `'${HOSTILE.error_message}`,
    });
    expect(kept.get(8)).toMatchObject({ id: quotedId, title: QUOTED_TITLE });
    // Holding the export would keep at least its text (~17 MB) or its rows (several times that)
    // live; a stream holds a page or two (~1,000 rows) and the socket's buffers.
    expect(bytes).toBeGreaterThan(15e6);
    expect(peakHeap).toBeLessThan(bytes / 3);
  }, 300_000);

  it('JSON: one array, filtered by status and created time, values unescaped', async () => {
    const from = new Date(T0 + 5000).toISOString();
    const res = await get(`?format=json&status=failed,cancelled&from=${from}&to=${T0 + 25_000}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/\.json"$/);
    const rows = (await res.json()) as Array<Record<string, unknown>>;
    // Rows 5…24: failed are n % 5 = 3, cancelled n % 5 = 4.
    expect(rows.map((r) => r.title)).toEqual(
      [8, 9, 13, 14, 18, 19, 23, 24].map((n) => (n === 8 ? QUOTED_TITLE : `Title ${n}`)),
    );
    expect(rows[0]).toMatchObject({ id: quotedId, status: 'failed', size: 1008, priority: 0 });
    expect(Object.keys(rows[0]!)).toEqual(EXPORT_COLUMN_NAMES);
    const hostile = (await (await get('?format=json&to=' + (T0 + 8000))).json()) as Array<
      Record<string, unknown>
    >;
    expect(hostile.at(-1)).toMatchObject({ artist: HOSTILE.artist, title: HOSTILE.title });
  });

  it('an empty selection is a header alone, or []', async () => {
    const csv = await get(`?from=${T0 - 10}&to=${T0 - 5}`);
    expect((await csv.text()).trimEnd().split('\r\n')).toEqual([EXPORT_COLUMN_NAMES.join(',')]);
    const json = await get(`?format=json&status=waiting`);
    expect(await json.json()).toEqual([]);
  });

  it('needs the API key; bad parameters are 400s naming the field', async () => {
    expect((await get('', 'wrong-key-0123456789')).status).toBe(401);
    for (const [query, field] of [
      ['?format=xml', 'querystring/format'],
      ['?status=done', 'querystring/status'],
      ['?from=yesterday', 'querystring/from'],
      ['?to=2026-02-30', 'querystring/to'],
      ['?from=10&to=5', 'querystring/from'],
      ['?limit=5', 'querystring'],
    ] as const) {
      const res = await get(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { message: string }).message, query).toContain(field);
    }
  });
});
