import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startIndexerServer,
  type IndexerServer,
  type ServedRelease,
} from '../../../test/helpers/indexer-server.js';
import { safeFetch } from '../../net/safe-fetch.js';
import { ProviderError } from '../provider.js';
import { ESCALATION_PERIODS_S } from './torznab.backoff.js';
import { indexerUrlProblem } from './torznab.api.js';
import { chooseQuery, createTorznabProvider } from './torznab.provider.js';
import type { Clock } from './torznab.rate-limit.js';
import { torznabSettings, type TorznabSettings } from './torznab.settings.js';

const KEY = 'test-api-key-0123456789';
const HASH = 'aabbccddeeff00112233445566778899aabbccdd';

const RELEASES: ServedRelease[] = [
  {
    title: 'Radiohead - OK Computer (1997) [FLAC]',
    artist: 'Radiohead',
    album: 'OK Computer',
    size: 400_000_000,
    seeders: 12,
    peers: 15,
    infohash: HASH,
    magnet: true,
    categories: [3040],
  },
  {
    title: 'Radiohead - OK Computer [MP3 320]',
    artist: 'Radiohead',
    album: 'OK Computer',
    size: 120_000_000,
    seeders: 0,
    categories: [3010],
  },
  {
    title: 'Coldplay - Parachutes [FLAC]',
    artist: 'Coldplay',
    album: 'Parachutes',
    size: 300_000_000,
    seeders: 5,
  },
];

/** A clock tests move by hand; sleeping moves it. */
function fakeClock(
  start = Date.UTC(2026, 0, 1),
): Clock & { slept: number[]; advance(ms: number): void } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

function settingsFor(server: IndexerServer, over: Partial<TorznabSettings> = {}): TorznabSettings {
  return torznabSettings({
    id: 'test-ix',
    url: server.apiUrl,
    apiKey: KEY,
    protocol: 'torrent',
    clientId: 'qbittorrent',
    allowPrivateAddress: true,
    requestTimeoutMs: 5000,
    ...over,
  });
}

let torznab: IndexerServer;
let newznab: IndexerServer;
let noMusic: IndexerServer;
let paged: IndexerServer;

beforeAll(async () => {
  torznab = await startIndexerServer({ dialect: 'torznab', apiKey: KEY, releases: RELEASES });
  newznab = await startIndexerServer({
    dialect: 'newznab',
    apiKey: KEY,
    releases: RELEASES.map((r, i) => ({
      ...r,
      grabs: i * 10,
      publishedAt: Date.UTC(2025, 5, i + 1),
    })),
  });
  noMusic = await startIndexerServer({
    dialect: 'torznab',
    apiKey: KEY,
    releases: RELEASES,
    musicSearch: false,
  });
  paged = await startIndexerServer({
    dialect: 'torznab',
    apiKey: KEY,
    limitsMax: 100,
    releases: Array.from({ length: 250 }, (_, i) => ({
      title: `Radiohead - OK Computer [FLAC] copy ${i}`,
      guid: `g${i}`,
      size: 1000 + i,
      seeders: i,
    })),
  });
});

afterAll(async () => {
  await Promise.all([torznab, newznab, noMusic, paged].map((s) => s?.close()));
});

beforeEach(() => {
  for (const s of [torznab, newznab, noMusic, paged]) {
    s.requests.length = 0;
    s.fail(null);
  }
});

describe('searching a Torznab indexer', () => {
  it('asks caps once, then t=music with artist and album, and makes candidates of the client', async () => {
    const provider = createTorznabProvider(settingsFor(torznab));
    const found = await provider.searchReleases({ artist: 'Radiohead', album: 'OK Computer' });
    expect(found.map((c) => c.filename).sort()).toEqual([
      'Radiohead - OK Computer (1997) [FLAC]',
      'Radiohead - OK Computer [MP3 320]',
    ]);
    const flac = found.find((c) => c.extension === 'flac')!;
    expect(flac).toMatchObject({
      provider: 'qbittorrent',
      username: 'test-ix',
      size: 400_000_000,
      hasFreeUploadSlot: true,
      release: { protocol: 'torrent', indexer: 'test-ix', seeders: 12, peers: 15, infohash: HASH },
    });
    expect(found.find((c) => c.extension === 'mp3')?.hasFreeUploadSlot).toBe(false);
    expect(flac.release?.link).toBe(`${torznab.url}/dl/${encodeURIComponent(RELEASES[0]!.title)}`);
    const [caps, music] = torznab.requests;
    expect(caps?.t).toBe('caps');
    expect(music?.params).toMatchObject({
      t: 'music',
      artist: 'Radiohead',
      album: 'OK Computer',
      cat: '3000,3010,3040',
      extended: '1',
      offset: '0',
      limit: '100',
      apikey: KEY,
    });
    await provider.searchReleases({ artist: 'Coldplay' });
    expect(torznab.count('caps')).toBe(1);
  });

  it('falls back to t=search with every word in q when the indexer has no music search', async () => {
    const provider = createTorznabProvider(settingsFor(noMusic));
    const found = await provider.searchReleases({ artist: 'Radiohead', album: 'OK Computer' });
    expect(found).toHaveLength(2);
    expect(noMusic.requests.map((r) => r.t)).toEqual(['caps', 'search']);
    expect(noMusic.requests[1]?.params.q).toBe('Radiohead OK Computer');
    expect(noMusic.requests[1]?.params.artist).toBeUndefined();
  });

  it('chooses the query from the caps: unsupported params go into q, or to t=search', () => {
    const caps = (params: string[] | null) => ({
      search: { available: true, supportedParams: ['q'] },
      musicSearch: { available: params !== null, supportedParams: params ?? [] },
      categories: [],
      limits: {},
    });
    const terms = { artist: 'Radiohead', album: 'OK Computer', q: 'Karma Police' };
    expect(chooseQuery(caps(['q', 'artist', 'album']), terms)).toEqual({
      t: 'music',
      artist: 'Radiohead',
      album: 'OK Computer',
      q: 'Karma Police',
    });
    expect(chooseQuery(caps(['q', 'artist']), terms)).toEqual({
      t: 'music',
      artist: 'Radiohead',
      q: 'OK Computer Karma Police',
    });
    expect(chooseQuery(caps(['artist', 'album']), terms)).toEqual({
      t: 'search',
      q: 'Radiohead OK Computer Karma Police',
    });
    expect(chooseQuery(caps(null), { q: 'Radiohead' })).toEqual({ t: 'search', q: 'Radiohead' });
  });

  it('pages with offset and limit until a short page, up to the page cap', async () => {
    const all = createTorznabProvider(settingsFor(paged, { maxPages: 5 }));
    const found = await all.searchReleases({ q: 'Radiohead' });
    expect(found).toHaveLength(250);
    expect(new Set(found.map((c) => c.release?.guid)).size).toBe(250);
    expect(paged.requests.filter((r) => r.t === 'music').map((r) => r.params.offset)).toEqual([
      '0',
      '100',
      '200',
    ]);

    paged.requests.length = 0;
    const capped = createTorznabProvider(settingsFor(paged, { maxPages: 2 }));
    expect(await capped.searchReleases({ q: 'Radiohead' })).toHaveLength(200);
    expect(paged.count('music')).toBe(2);
  });

  it('serves Newznab: usenet releases, always startable, dated by usenetdate', async () => {
    const provider = createTorznabProvider(
      settingsFor(newznab, { protocol: 'usenet', clientId: 'sabnzbd', id: 'nzb-ix' }),
    );
    const found = await provider.searchReleases({ artist: 'Coldplay' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      provider: 'sabnzbd',
      username: 'nzb-ix',
      hasFreeUploadSlot: true,
      release: { protocol: 'usenet', grabs: 20, publishedAt: Date.UTC(2025, 5, 3) },
    });
  });

  it('keeps a search under its id: running, complete, missing once deleted or unknown; bounded', async () => {
    const provider = createTorznabProvider(settingsFor(torznab, { maxSearches: 2 }));
    expect(await provider.getSearch('nope')).toEqual({ state: 'missing', candidates: [] });
    const started = provider.startSearch('s1', 'Radiohead OK Computer', 5000);
    expect((await provider.getSearch('s1')).state).toBe('running');
    await started;
    const s1 = await provider.getSearch('s1');
    expect(s1.state).toBe('complete');
    expect(s1.candidates).toHaveLength(2);
    await provider.deleteSearch('s1');
    expect((await provider.getSearch('s1')).state).toBe('missing');
    await provider.startSearch('a', 'Coldplay', 5000);
    await provider.startSearch('b', 'Coldplay', 5000);
    await provider.startSearch('c', 'Coldplay', 5000);
    expect((await provider.getSearch('a')).state).toBe('missing');
    expect((await provider.getSearch('c')).state).toBe('complete');
  });

  it('the test server serves files at /dl/ for releases to link to', async () => {
    torznab.addFile('album.torrent', Buffer.from('d4:infod4:name5:albumee'));
    const response = await safeFetch(torznab.fileUrl('album.torrent'), {
      policy: { allowLoopback: true },
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-bittorrent');
    expect(response.body.toString()).toBe('d4:infod4:name5:albumee');
    expect(torznab.downloads).toContain('album.torrent');
  });
});

describe('indexer failures', () => {
  it('says the API key is wrong, without quoting it', async () => {
    const provider = createTorznabProvider(settingsFor(torznab, { apiKey: 'wrong-key-abcdef' }));
    const error = await provider.searchReleases({ q: 'Radiohead' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/API key is wrong/);
    expect((error as ProviderError).message).toMatch(/code 100: Incorrect user credentials/);
    expect((error as ProviderError).message).not.toContain('wrong-key-abcdef');
    expect((error as ProviderError).code).toBe('provider_unavailable');
  });

  it.each([
    [{ status: 429, retryAfterSeconds: 600 }, 'rate_limited', /HTTP 429/],
    [{ errorCode: 500, description: 'Request limit reached' }, 'rate_limited', /API limit reached/],
    [{ status: 503 }, 'provider_unavailable', /HTTP 503/],
    [
      { errorCode: 201, description: 'Incorrect parameter' },
      'provider_unavailable',
      /refused the request \(code 201/,
    ],
  ] as const)('maps %j to %s', async (mode, code, message) => {
    torznab.fail(mode);
    const provider = createTorznabProvider(settingsFor(torznab));
    const error = (await provider
      .searchReleases({ q: 'x' })
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(KEY);
  });

  it('a 429 with Retry-After backs off at least that long', async () => {
    torznab.fail({ status: 429, retryAfterSeconds: 600 });
    const clock = fakeClock();
    const provider = createTorznabProvider(settingsFor(torznab), { clock, startedAt: clock.now() });
    await provider.searchReleases({ q: 'x' }).catch(() => undefined);
    // The first rung of at least 10 minutes: 15 minutes (level 3), even in the startup grace.
    expect(provider.backoff().level).toBe(3);
    expect(provider.backoff().disabledTill).toBe(clock.now() + 15 * 60_000);
  });

  it('times out a silent indexer', async () => {
    torznab.fail({ timeout: true });
    const provider = createTorznabProvider(settingsFor(torznab, { requestTimeoutMs: 300 }));
    const error = (await provider
      .searchReleases({ q: 'x' })
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe('provider_unavailable');
    expect(error.message).toMatch(/no answer within 300 ms/);
  });

  it('ends a request at the search deadline, before its own timeout', async () => {
    const provider = createTorznabProvider(settingsFor(torznab, { requestTimeoutMs: 30_000 }));
    await provider.caps();
    torznab.fail({ timeout: true });
    const started = Date.now();
    const error = (await provider
      .startSearch('late', 'Radiohead', 400)
      .catch((e: unknown) => e)) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toMatch(/no answer before the search deadline/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await provider.getSearch('late')).state).toBe('missing');
    // The caller's deadline is no failure of the indexer's.
    expect(provider.backoff().disabledTill).toBeNull();
  });

  it('searches started together share one caps request', async () => {
    const provider = createTorznabProvider(settingsFor(torznab));
    await Promise.all([
      provider.searchReleases({ q: 'Radiohead' }),
      provider.searchReleases({ q: 'Coldplay' }),
      provider.health(),
    ]);
    expect(torznab.count('caps')).toBe(1);
  });

  it("climbs Lidarr's ladder while failing, refuses without traffic meanwhile, steps down on success", async () => {
    torznab.fail({ status: 500 });
    const clock = fakeClock();
    // Started an hour ago: past the startup grace, every failure escalates.
    const provider = createTorznabProvider(settingsFor(torznab), {
      clock,
      startedAt: clock.now() - 3_600_000,
    });
    const bans: number[] = [];
    for (let i = 0; i < ESCALATION_PERIODS_S.length; i++) {
      await expect(provider.searchReleases({ q: 'x' })).rejects.toThrow(/HTTP 500/);
      const state = provider.backoff();
      bans.push((state.disabledTill! - clock.now()) / 1000);
      const sent = torznab.requests.length;
      await expect(provider.searchReleases({ q: 'x' })).rejects.toThrow(/backing off until/);
      expect(torznab.requests.length).toBe(sent);
      const health = await provider.health();
      expect(health.state).toBe('down');
      expect(health.message).toContain('HTTP 500');
      expect(health.message).toContain(`retries at ${new Date(state.disabledTill!).toISOString()}`);
      clock.advance(state.disabledTill! - clock.now() + 1);
    }
    expect(bans).toEqual([...ESCALATION_PERIODS_S.slice(1), ESCALATION_PERIODS_S.at(-1)]);
    torznab.fail(null);
    expect(await provider.searchReleases({ artist: 'Coldplay' })).toHaveLength(1);
    // caps then the search: two successes, two rungs down, no ban.
    expect(provider.backoff()).toMatchObject({
      level: ESCALATION_PERIODS_S.length - 3,
      disabledTill: null,
    });
    expect((await provider.health()).state).toBe('up');
  });

  it('in the startup grace: no escalation, no ban over five minutes', async () => {
    torznab.fail({ status: 500 });
    const clock = fakeClock();
    const provider = createTorznabProvider(settingsFor(torznab), { clock, startedAt: clock.now() });
    for (let i = 0; i < 4; i++) {
      await provider.searchReleases({ q: 'x' }).catch(() => undefined);
      expect(provider.backoff().level).toBe(1);
      expect(provider.backoff().disabledTill! - clock.now()).toBe(60_000);
      clock.advance(61_000);
    }
  });

  it('a refused connection does not escalate', async () => {
    const gone = await startIndexerServer({ dialect: 'torznab' });
    const url = gone.apiUrl;
    await gone.close();
    const clock = fakeClock();
    const provider = createTorznabProvider(
      torznabSettings({
        id: 'gone',
        url,
        apiKey: KEY,
        protocol: 'torrent',
        clientId: 'q',
        allowPrivateAddress: true,
      }),
      { clock, startedAt: clock.now() - 3_600_000 },
    );
    for (let i = 0; i < 3; i++) {
      await expect(provider.searchReleases({ q: 'x' })).rejects.toThrow(/unreachable/);
      expect(provider.backoff().level).toBe(1);
      clock.advance(61_000);
    }
  });

  it('holds to its rate limit: waits for the window, and refuses when the wait passes the deadline', async () => {
    const clock = fakeClock();
    const provider = createTorznabProvider(settingsFor(torznab, { rateLimitPerMinute: 2 }), {
      clock,
    });
    await provider.searchReleases({ q: 'Radiohead' }); // caps + one page: the window is full
    expect(clock.slept).toEqual([]);
    await provider.searchReleases({ q: 'Coldplay' }, { timeoutMs: 120_000 });
    expect(clock.slept).toEqual([60_000]);
    await provider.searchReleases({ q: 'Coldplay' }, { timeoutMs: 1000 }); // the window's second place
    expect(clock.slept).toEqual([60_000]);
    const sent = torznab.requests.length;
    const error = (await provider
      .searchReleases({ q: 'Radiohead' }, { timeoutMs: 1000 })
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe('rate_limited');
    expect(error.message).toMatch(/2 requests a minute/);
    expect(torznab.requests.length).toBe(sent);
  });
});

describe('the address policy', () => {
  it.each([
    ['http://10.0.0.5:9696/api', false, /private/],
    ['http://192.168.1.20/api', false, /private/],
    ['http://169.254.169.254/latest', true, /linkLocal/],
    ['http://[::1]:9117/api', false, /::1 is .*refused/],
    ['http://localhost:9117/api', false, /loopback name/],
    ['http://127.0.0.1:9117/api', false, /loopback/],
    ['ftp://indexer.example/api', false, /only http and https/],
  ])('%s (allowPrivateAddress %s) is refused', (url, allow, reason) => {
    expect(indexerUrlProblem({ id: 'ix', url, allowPrivateAddress: allow })).toMatch(reason);
  });

  it.each([
    ['http://10.0.0.5:9696/api', true],
    ['http://127.0.0.1:9117/api', true],
    ['https://indexer.example/api', false],
    ['http://93.184.216.34/api', false],
  ])('%s (allowPrivateAddress %s) passes', (url, allow) => {
    expect(indexerUrlProblem({ id: 'ix', url, allowPrivateAddress: allow })).toBeNull();
  });

  it('refuses the loopback test server unless the indexer allows private addresses, before any traffic', async () => {
    const provider = createTorznabProvider(settingsFor(torznab, { allowPrivateAddress: false }));
    const error = (await provider
      .searchReleases({ q: 'x' })
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.message).toMatch(/address refused.*allowPrivateAddress of indexer "test-ix"/);
    expect(error.message).not.toContain(KEY);
    expect(torznab.requests).toHaveLength(0);
    expect((await provider.health()).state).toBe('down');
  });
});
