import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../bench/feeds-server.js';
import { freshDb, testDialects, type TestDb } from '../../test/helpers/db.js';
import { feedUrlProblem } from './feed-policy.js';
import { waitUntil } from '../../test/helpers/wait.js';
import { BACKOFF_CAP_MS } from './feed-schedule.js';
import { createFeedsRepository } from './feeds.repository.js';
import { setUpFeeds, type Feeds } from './feeds.setup.js';

/** Accepts are not part of these tests (no watchlist rule): any call is a failure. */
const noTargets = {
  albums: {
    create: () => Promise.reject(new Error('no album expected')),
  },
  downloads: {
    create: () => Promise.reject(new Error('no download expected')),
  },
};
const quiet = { warn: () => undefined };

const entries = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, title: `Act ${i} - Record ${i}` }));

describe.each(testDialects())('feed polling (%s)', (dialect) => {
  let db: TestDb;
  let server: FeedServer;
  let feeds: Feeds;
  const resolved: string[] = [];

  beforeAll(async () => {
    db = await freshDb(dialect);
    server = await startFeedServer();
    feeds = setUpFeeds({
      handle: db,
      targets: noTargets,
      providers: () => ['slskd'],
      owner: 'proc-a',
      log: quiet,
      // Names resolve to a private address here; no traffic goes to it (the check refuses first).
      resolve: (host) => {
        resolved.push(host);
        return Promise.resolve(['192.168.1.5']);
      },
      maxBytes: 200_000,
    });
  });
  afterAll(async () => {
    await feeds.stop();
    await server.close();
    await db.cleanup();
  });

  const create = (path: string, extra: Record<string, unknown> = {}) =>
    feeds.service.createFeed({
      url: `${server.url}${path}`,
      allowPrivateAddress: true,
      enabled: false,
      ...extra,
    });

  it('RSS with ETag: entries recorded once, the second poll is a 304', async () => {
    server.feeds.set('/rss', { format: 'rss', entries: entries('r', 5) });
    const feed = await create('/rss');
    const first = await feeds.service.pollNow(feed.id);
    expect(first).toMatchObject({ status: 'ok', httpStatus: 200, entries: 5, newEntries: 5 });
    const second = await feeds.service.pollNow(feed.id);
    expect(second).toMatchObject({ status: 'not_modified', httpStatus: 304, newEntries: 0 });
    expect(server.stats.get('/rss')).toMatchObject({ requests: 2, notModified: 1 });
    expect(server.stats.get('/rss')?.lastConditional).toMatch(/^if-none-match: "/);
    // A new item: a 200 again, only the new entry is new.
    server.feeds.get('/rss')?.entries.unshift({ id: 'r-new', title: 'Act N - New' });
    expect(await feeds.service.pollNow(feed.id)).toMatchObject({
      status: 'ok',
      entries: 6,
      newEntries: 1,
    });
    const listed = await feeds.service.entries(feed.id, { limit: 100 });
    expect(listed.items).toHaveLength(6);
    expect(new Set(listed.items.map((e) => e.entryId)).size).toBe(6);
    expect(listed.items.every((e) => e.outcome === 'unmatched' && e.reason.length > 0)).toBe(true);
    const dto = await feeds.service.getFeed(feed.id);
    expect(dto.lastPoll).toMatchObject({ status: 'ok', entries: 6, newEntries: 1 });
  });

  it('Atom with Last-Modified: the second poll sends If-Modified-Since and gets a 304', async () => {
    server.feeds.set('/atom', { format: 'atom', entries: entries('a', 3) });
    const feed = await create('/atom');
    expect(await feeds.service.pollNow(feed.id)).toMatchObject({ status: 'ok', newEntries: 3 });
    expect(await feeds.service.pollNow(feed.id)).toMatchObject({ status: 'not_modified' });
    expect(server.stats.get('/atom')).toMatchObject({ requests: 2, notModified: 1 });
    expect(server.stats.get('/atom')?.lastConditional).toMatch(/^if-modified-since: /);
  });

  it('backs off after failures, doubling up to the cap, and a success resets it', async () => {
    server.feeds.set('/flaky', { format: 'rss', entries: entries('f', 1), status: 500 });
    const feed = await create('/flaky', { intervalMinutes: 30 });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await feeds.service.pollNow(feed.id);
      expect(result).toMatchObject({ status: 'failed', httpStatus: 500, error: 'HTTP 500' });
      const dto = await feeds.service.getFeed(feed.id);
      expect(dto.failures).toBe(i + 1);
      waits.push(Date.parse(dto.nextPollAt) - Date.parse(dto.lastPoll!.at));
    }
    expect(waits).toEqual([60, 120, 240, 360, 360].map((m) => m * 60_000));
    expect(Math.max(...waits)).toBe(BACKOFF_CAP_MS);
    delete server.feeds.get('/flaky')!.status;
    expect(await feeds.service.pollNow(feed.id)).toMatchObject({ status: 'ok' });
    const healed = await feeds.service.getFeed(feed.id);
    expect(healed.failures).toBe(0);
    expect(Date.parse(healed.nextPollAt) - Date.parse(healed.lastPoll!.at)).toBe(30 * 60_000);
  });

  it('refuses an oversized feed without reading it all, keeping what it had', async () => {
    server.feeds.set('/big', { format: 'rss', entries: entries('b', 2), padTo: 300_000 });
    const feed = await create('/big');
    const result = await feeds.service.pollNow(feed.id);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/over the 200000-byte limit/);
    expect((await feeds.service.entries(feed.id, { limit: 10 })).items).toHaveLength(0);
  });

  it('a malformed or foreign document is a failed poll with its reason, not a crash', async () => {
    const feed = await create('/broken');
    const cases: [string, RegExp][] = [
      ['<html><body>Login required</body></html>', /neither RSS nor Atom/],
      ['<rss version="2.0"><channel><item><title>cut off', /./],
      ['\u0000\u0001 garbage', /./],
    ];
    for (const [raw, reason] of cases) {
      server.feeds.set('/broken', { format: 'rss', entries: [], raw });
      const result = await feeds.service.pollNow(feed.id);
      if (result.status === 'ok') expect(result.entries).toBe(0);
      else expect(result).toMatchObject({ status: 'failed', httpStatus: 200 });
      if (result.error) expect(result.error).toMatch(reason);
    }
    server.feeds.delete('/broken');
    expect(await feeds.service.pollNow(feed.id)).toMatchObject({
      status: 'failed',
      httpStatus: 404,
    });
  });

  it('refuses private and loopback addresses unless the feed allows them (no traffic)', async () => {
    // Literal hosts are refused when the feed is added.
    for (const url of [
      'http://127.0.0.1/rss',
      'http://localhost:8080/rss',
      'http://10.1.2.3/rss',
      'http://[::1]/rss',
      'http://169.254.169.254/latest',
    ])
      expect(feedUrlProblem(url, false), url).toMatch(/refused/);
    // allowPrivateAddress admits loopback and LAN, never link-local (cloud metadata).
    expect(feedUrlProblem('http://192.168.1.9/rss', true)).toBeNull();
    expect(feedUrlProblem('http://127.0.0.1:9117/api', true)).toBeNull();
    expect(feedUrlProblem('http://169.254.169.254/latest', true)).toMatch(/refused/);
    expect(feedUrlProblem('https://user:pw@feeds.example/rss', false)).toMatch(/user name/);
    expect(feedUrlProblem('ftp://feeds.example/rss', false)).toMatch(/http and https/);
    await expect(feeds.service.createFeed({ url: 'http://10.0.0.8/rss' })).rejects.toThrow(
      /^body\/url: .*refused/,
    );
    // A name that resolves to a private address is refused at the poll, before any connection.
    const feed = await feeds.service.createFeed({
      url: 'http://feeds.example.test/rss',
      enabled: false,
    });
    const result = await feeds.service.pollNow(feed.id);
    expect(result.status).toBe('refused');
    expect(result.error).toMatch(/192\.168\.1\.5 is a private address: refused/);
    expect(resolved).toContain('feeds.example.test');
    expect((await feeds.service.getFeed(feed.id)).failures).toBe(1);
  });

  it('two processes over one database poll a due feed once', async () => {
    server.feeds.set('/shared', { format: 'rss', entries: entries('s', 20) });
    const feed = await create('/shared', { enabled: true });
    const other = setUpFeeds({
      handle: db,
      targets: noTargets,
      providers: () => ['slskd'],
      owner: 'proc-b',
      log: quiet,
    });
    // Both look at once, several times; the feed is due once (next poll in an hour after that).
    await Promise.all([feeds.tick(), other.tick(), feeds.tick(), other.tick()]);
    await Promise.all([feeds.tick(), other.tick()]);
    expect(server.stats.get('/shared')?.requests).toBe(1);
    const repo = createFeedsRepository(db.db);
    const row = await repo.getFeed(feed.id);
    expect(row?.lease_owner).toBeNull();
    expect(row?.last_new_count).toBe(20);
    await other.stop();
  });

  it('stopping ends a fetch in flight, and that poll writes nothing', async () => {
    server.feeds.set('/hang', { format: 'rss', entries: [], hang: true });
    const feed = await create('/hang');
    const mine = setUpFeeds({
      handle: db,
      targets: noTargets,
      providers: () => ['slskd'],
      owner: 'proc-d',
      log: quiet,
    });
    await mine.start();
    const started = Date.now();
    const polling = mine.service.pollNow(feed.id).catch((error: unknown) => error);
    await waitUntil(() => (server.stats.get('/hang')?.requests ?? 0) > 0, { what: 'the request' });
    await mine.stop();
    expect(String(await polling)).toMatch(/taken over/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const row = await createFeedsRepository(db.db).getFeed(feed.id);
    expect(row).toMatchObject({ last_polled_at: null, failures: 0 });
  });

  it('a poll whose lease was taken over writes nothing (fencing)', async () => {
    server.feeds.set('/fenced', { format: 'rss', entries: entries('x', 2) });
    const feed = await create('/fenced');
    const repo = createFeedsRepository(db.db);
    const t = Date.now();
    const mine = await repo.claim(feed.id, {
      owner: 'proc-a',
      now: t,
      until: t - 1,
      dueOnly: false,
    });
    expect(mine).toBeDefined();
    // My lease has lapsed: another process takes the feed and polls it.
    const theirs = await repo.claim(feed.id, {
      owner: 'proc-c',
      now: t,
      until: t + 60_000,
      dueOnly: false,
    });
    expect(theirs?.lease_token).toBe((mine?.lease_token ?? 0) + 1);
    await expect(feeds.service.pollNow(feed.id)).rejects.toThrow(/being polled/);
    expect(await repo.finishPoll(feed.id, mine!.lease_token, { failures: 9 })).toBe(0);
    expect((await repo.getFeed(feed.id))?.failures).toBe(0);
  });
});
