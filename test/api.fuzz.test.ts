import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlocklistEntryDto } from '../src/blocklist/blocklist.dto.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import {
  anyRequest,
  encodePart,
  encodingHeader,
  type QueryPair,
  type RequestSpec,
} from './helpers/api-requests.js';
import { serialize, type Json } from './helpers/api-arbitraries.js';
import { KNOWN_TOKEN } from './helpers/api-arbitraries-queue.js';
import { checkedSettingsPatchBody } from './helpers/api-arbitraries-settings.js';
import {
  NAMES_A_FIELD,
  verdict,
  type ConcreteRequest,
  type RouteName,
} from './helpers/api-oracle.js';
import { checkQueueRoute, type QueueModel } from './helpers/api-queue-checks.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';

/**
 * Property-based fuzzing of every route through app.inject() against a real SoulSpot on each
 * database. For every generated request: never a 5xx; a 2xx only when the independent oracle
 * (helpers/api-oracle.ts) finds the request valid, and for a refused one exactly the status the
 * oracle expects; every error a JSON body, every 400 naming the part and field at fault; what a
 * 201 returns is what was sent, and reads back identically. Fixed seed, bounded runs; set
 * SOULSPOT_FUZZ_SEED to explore others (fast-check prints the seed and path of a failure).
 */
const SEED = Number(process.env.SOULSPOT_FUZZ_SEED ?? 20_240_611);
const RUNS = Number(process.env.SOULSPOT_FUZZ_RUNS ?? 600);

interface Pools {
  /** Downloads (and the settings model) live here: batch `remove` shrinks the pool. */
  model: QueueModel;
  blocklist: string[];
  cursor: string;
}

/** Stands for a known id when a batch removed every download there was. */
const NO_DOWNLOAD = '00000000-0000-4000-8000-ffffffffffff';
const pick = (pool: string[], index: number) =>
  pool.length === 0 ? NO_DOWNLOAD : pool[index % pool.length]!;

function materialize(spec: RequestSpec, pools: Pools): ConcreteRequest {
  const path = spec.path
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('raw' in part) return part.raw;
      return pick(part.known === 'download' ? pools.model.downloads : pools.blocklist, part.index);
    })
    .join('/');
  // Known ids inside bodies are tokens (api-arbitraries-queue.ts); latin1 keeps every other byte.
  const payload =
    spec.payload &&
    Buffer.from(
      spec.payload
        .toString('latin1')
        .replace(KNOWN_TOKEN, (_, n: string) => pick(pools.model.downloads, Number(n))),
      'latin1',
    );
  const query = spec.query
    .map(([key, value]: QueryPair) => {
      const v =
        'cursor' in value ? pools.cursor : 'raw' in value ? value.raw : encodePart(value.text);
      return `${encodePart(key)}=${v}`;
    })
    .join('&');
  const headers: Record<string, string> = {};
  if (spec.key) headers['x-api-key'] = API_KEY;
  if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
  if (spec.contentEncoding !== undefined) headers['content-encoding'] = spec.contentEncoding;
  return {
    method: spec.method,
    url: `/${path}${query ? `?${query}` : ''}`,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  };
}

function describeRequest(req: ConcreteRequest): string {
  const payload = req.payload
    ? ` payload(${req.payload.length} B)=${JSON.stringify(req.payload.subarray(0, 300).toString('latin1'))}`
    : '';
  return `${req.method} ${req.url.slice(0, 300)} ${JSON.stringify(req.headers)}${payload}`;
}

type Body = Record<string, unknown>;
const get = (b: unknown, k: string): unknown => (b as Body)[k];

/** What a created download must echo: the request, trimmed where the docs say so. */
function expectedDownload(sent: unknown): Body {
  const opt = (k: string) => {
    const v = get(sent, k);
    return typeof v === 'string' ? v.trim() || null : null;
  };
  const num = (k: string) => (get(sent, k) as number | null | undefined) ?? null;
  return {
    artist: (get(sent, 'artist') as string).trim(),
    title: (get(sent, 'title') as string).trim(),
    album: opt('album'),
    albumArtist: opt('albumArtist'),
    genre: opt('genre'),
    trackNumber: num('trackNumber'),
    discNumber: num('discNumber'),
    year: num('year'),
    durationSeconds: num('durationSeconds'),
    priority: (get(sent, 'priority') as number | undefined) ?? 0,
    ...expectedSchedule(get(sent, 'scheduledAt')),
  };
}

/** A time this close to now may fall either side of the server's clock: not judged. */
const CLOCK_SLACK_MS = 60_000;

/** A time to come holds the new download (`scheduled`); none, or a time gone by, does not. */
function expectedSchedule(sent: unknown): Body {
  const at = typeof sent === 'string' ? Date.parse(sent) : null;
  if (at !== null && Math.abs(at - Date.now()) < CLOCK_SLACK_MS) return {};
  if (at !== null && at > Date.now())
    return { status: 'scheduled', scheduledAt: new Date(at).toISOString() };
  return { status: 'waiting', scheduledAt: null };
}

describe.each(testDialects())('API fuzz on %s', (dialect) => {
  let server: ApiServer;
  const pools: Pools = {
    model: { defaults: {}, settings: {}, downloads: [] },
    blocklist: [],
    cursor: '',
  };
  const state = { isDownload: (id: string) => pools.model.downloads.includes(id) };
  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.json<T>() };
  };

  beforeAll(async () => {
    server = await startApiServer(dialect);
    for (let i = 0; i < 8; i++) {
      const d = await call<DownloadDto>('POST', '/api/downloads', {
        artist: 'Seed',
        title: `${i}`,
      });
      pools.model.downloads.push(d.body.id);
    }
    // A cancelled one, so that retry has something to start again.
    await call('DELETE', `/api/downloads/${pools.model.downloads[0]!}`);
    for (const username of ['seed-user', 'other-user']) {
      const e = await call<BlocklistEntryDto>('POST', '/api/blocklist', { username });
      pools.blocklist.push(e.body.id);
    }
    const page = await call<{ nextCursor: string }>('GET', '/api/downloads?limit=1');
    pools.cursor = page.body.nextCursor;
    // Nothing is stored yet: what GET shows now is the defaults a null puts back.
    const settings = await call<Record<string, unknown>>('GET', '/api/settings');
    pools.model.defaults = settings.body;
    pools.model.settings = structuredClone(settings.body);
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`answers every generated request as the oracle says (seed ${SEED}, ${RUNS} runs)`, async () => {
    const seen = new Map<number, number>();
    const succeeded = new Map<RouteName, number>();
    let bulkAccepted = 0;
    await fc.assert(
      fc.asyncProperty(anyRequest, async (spec) => {
        const req = materialize(spec, pools);
        const expected = verdict(req, API_KEY, state);
        const res = await server.app.inject({
          method: req.method,
          url: req.url,
          headers: req.headers,
          ...(req.payload !== undefined ? { payload: req.payload } : {}),
        });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        const context = `${describeRequest(req)}\n→ ${res.statusCode} ${res.body.slice(0, 400)}`;
        expect(res.statusCode, context).toBeLessThan(500);
        if (!expected.accept) {
          expect(res.statusCode, `${context}\nexpected ${expected.status}: ${expected.why}`).toBe(
            expected.status,
          );
        } else {
          expect(expected.statuses, `${context}\nexpected a success`).toContain(res.statusCode);
        }
        if (res.statusCode >= 400) {
          const error = res.json<{ statusCode: number; error: string; message: string }>();
          expect(error, context).toMatchObject({
            statusCode: res.statusCode,
            error: expect.any(String),
            message: expect.any(String),
          });
          if (res.statusCode === 400) expect(error.message, context).toMatch(NAMES_A_FIELD);
        }
        if (!expected.accept || res.statusCode >= 300) return;
        succeeded.set(expected.route, (succeeded.get(expected.route) ?? 0) + 1);
        await checkQueueRoute(
          server.app,
          expected.route,
          expected.body,
          res.statusCode === 204 ? {} : res.json(),
          pools.model,
          context,
        );

        if (expected.route === 'createDownload') {
          const created = res.json<DownloadDto>();
          if (res.statusCode === 201) {
            expect(created, context).toMatchObject(expectedDownload(expected.body));
            pools.model.downloads.push(created.id);
          }
          const again = await call<DownloadDto>('GET', `/api/downloads/${created.id}`);
          expect(again.body, context).toEqual(created);
        }
        if (expected.route === 'bulkDownloads') {
          bulkAccepted++;
          const sent = get(expected.body, 'items') as unknown[];
          const answer = res.json<{
            created: number;
            items: { index: number; result: string; id: string | null }[];
          }>();
          expect(
            answer.items.map((i) => i.index),
            context,
          ).toEqual(sent.map((_, i) => i));
          for (const item of answer.items) {
            expect(item.id, context).not.toBeNull();
            if (item.result !== 'created') continue;
            const stored = await call<DownloadDto>('GET', `/api/downloads/${item.id as string}`);
            expect(stored.body, context).toMatchObject(expectedDownload(sent[item.index]));
            pools.model.downloads.push(item.id as string);
          }
        }
        if (expected.route === 'addBlocklist') {
          const entry = res.json<BlocklistEntryDto>();
          expect(entry, context).toMatchObject({
            username: get(expected.body, 'username'),
            filename: get(expected.body, 'filename') ?? null,
            ...(get(expected.body, 'reason') !== undefined
              ? { reason: get(expected.body, 'reason') }
              : {}),
          });
          if (res.statusCode === 201) pools.blocklist.push(entry.id);
        }
        if (expected.route === 'listDownloads') {
          const page = res.json<{ items: DownloadDto[]; nextCursor: string | null }>();
          if (page.nextCursor) pools.cursor = page.nextCursor;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(bulkAccepted, 'bulk requests accepted').toBeGreaterThan(RUNS / 100);
    // Each queue-control and settings route must have succeeded at least once.
    const queueRoutes: RouteName[] = [
      'getSettings',
      'patchSettings',
      'patchDownload',
      'reorder',
      'batch',
      'queue',
      'pauseQueue',
      'resumeQueue',
    ];
    for (const route of queueRoutes)
      expect(
        succeeded.get(route) ?? 0,
        `${route} ${JSON.stringify([...succeeded])}`,
      ).toBeGreaterThan(0);
    // The run must have reached both sides of the oracle, or it proved little.
    const count = (f: (s: number) => boolean) =>
      [...seen].filter(([s]) => f(s)).reduce((n, [, c]) => n + c, 0);
    expect(
      count((s) => s < 300),
      JSON.stringify([...seen]),
    ).toBeGreaterThan(RUNS / 10);
    expect(
      count((s) => s === 400),
      JSON.stringify([...seen]),
    ).toBeGreaterThan(RUNS / 10);
    expect(
      count((s) => s === 415),
      JSON.stringify([...seen]),
    ).toBeGreaterThan(0);
  });

  it(`takes and refuses naming patterns and transcodeAction as the oracle says (seed ${SEED})`, async () => {
    // Per setting: patches that stored a value of it, and patches refused for its value.
    const outcomes = new Map(
      ['namingPattern', 'multiDiscNamingPattern', 'transcodeAction'].map((k) => [
        k,
        { taken: 0, refused: 0 },
      ]),
    );
    await fc.assert(
      fc.asyncProperty(checkedSettingsPatchBody, async (body: Json) => {
        const req: ConcreteRequest = {
          method: 'PATCH',
          url: '/api/settings',
          headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
          payload: Buffer.from(serialize(body)),
        };
        const expected = verdict(req, API_KEY, state);
        const res = await server.app.inject(req);
        const context = `${describeRequest(req)}\n→ ${res.statusCode} ${res.body.slice(0, 400)}`;
        if (!expected.accept) {
          expect(res.statusCode, `${context}\nexpected ${expected.status}: ${expected.why}`).toBe(
            expected.status,
          );
          if (res.statusCode === 400)
            expect(res.json<{ message: string }>().message, context).toMatch(NAMES_A_FIELD);
          // The oracle names the first bad setting ("invalid namingPattern").
          const bad = /^invalid (\w+)$/.exec(expected.why)?.[1];
          const outcome = bad === undefined ? undefined : outcomes.get(bad);
          if (outcome) outcome.refused++;
          return;
        }
        expect(res.statusCode, `${context}\nexpected a success`).toBe(200);
        // What the answer and a new GET show is the model: defaults, then every change in order.
        await checkQueueRoute(
          server.app,
          'patchSettings',
          expected.body,
          res.json(),
          pools.model,
          context,
        );
        for (const [k, outcome] of outcomes) {
          const sent = get(expected.body, k);
          if (sent !== undefined && sent !== null) outcome.taken++;
        }
      }),
      { seed: SEED, numRuns: Math.max(100, RUNS / 2) },
    );
    for (const [k, { taken, refused }] of outcomes) {
      const all = JSON.stringify([...outcomes]);
      expect(taken, `${k} stored ${all}`).toBeGreaterThan(10);
      expect(refused, `${k} refused ${all}`).toBeGreaterThan(10);
    }
  });

  it(`opens the event stream whatever Last-Event-ID says (seed ${SEED})`, async () => {
    const lastEventId = fc.oneof(
      fc.string(),
      fc.constantFrom('1e400', '-1', '1.5', '99999999999999999999', '0x10', ' 3 ', 'NaN'),
    );
    await fc.assert(
      fc.asyncProperty(lastEventId, encodingHeader(), async (id, encoding) => {
        const res = await server.app.inject({
          method: 'GET',
          url: '/api/events',
          headers: {
            'x-api-key': API_KEY,
            'last-event-id': id,
            ...(encoding !== undefined ? { 'content-encoding': encoding } : {}),
          },
          payloadAsStream: true,
        });
        const stream = res.stream();
        stream.destroy();
        const refused =
          encoding !== undefined &&
          encoding.split(',').some((c) => c.trim().toLowerCase() !== 'identity');
        expect(res.statusCode, `${id} ${encoding}`).toBe(refused ? 415 : 200);
        if (!refused) expect(res.headers['content-type']).toContain('text/event-stream');
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});
