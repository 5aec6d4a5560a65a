import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../bench/feeds-server.js';
import type { SimUser } from '../../emulator/emulator.js';
import { startSoulSpot, type SoulSpot } from '../main.js';
import { makeTone } from '../../test/helpers/audio.js';
import { API_KEY, startStack, waitForDownloads, type Stack } from '../../test/helpers/stack.js';
import { waitUntil } from '../../test/helpers/wait.js';
import type { AlbumDto } from '../albums/albums.dto.js';
import type { EntryDto, FeedDto, RuleDto } from './feeds.dto.js';
import type { PollResult } from './feed-poll.js';
import { createFeedsRepository } from './feeds.repository.js';

/**
 * Feeds end to end: a loopback feed server, the slskd emulator and a SoulSpot. A watched artist's
 * entries become one album and one track download, exactly once: across polls, across a restart,
 * after a "crash" between recording a match and accepting it, and after one between accepting it
 * and marking the entry. Then the API's refusals.
 */
const ALBUM_ARTIST = 'Restart Ensemble';
const TRACK_ARTIST = 'Solo Act';

describe('feeds and the watchlist end to end', () => {
  let dir: string;
  let server: FeedServer;
  let stack: Stack;
  let soulspot: SoulSpot;
  let feedId: string;

  /** The API of the SoulSpot running now (a restart gives it another port). */
  const api = async <T>(method: string, url: string, body?: unknown) => {
    const res = await fetch(`${soulspot.url}${url}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const entriesOf = async () =>
    (await api<{ items: EntryDto[] }>('GET', `/api/feeds/${feedId}/entries?limit=500`)).body.items;
  const albumsOf = async (artist: string) =>
    (await api<{ items: AlbumDto[] }>('GET', '/api/albums?limit=200')).body.items.filter(
      (a) => a.artist === artist,
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-feeds-e2e-'));
    const tone = path.join(dir, 'single.flac');
    await makeTone(tone, { seconds: 2, frequency: 440, format: 'flac' });
    const users: SimUser[] = [
      {
        username: 'sharer',
        files: [
          { remotePath: `@@s\\Music\\${TRACK_ARTIST}\\Singles\\Single Song.flac`, localPath: tone },
        ],
      },
    ];
    server = await startFeedServer();
    server.feeds.set('/releases', {
      format: 'rss',
      entries: [
        { id: 'g-1', title: `${ALBUM_ARTIST} - Reboot (2020) [FLAC]` },
        { id: 'g-2', title: `${ALBUM_ARTIST} - Reboot (Remixes) [MP3]` },
        { id: 'g-3', title: 'Somebody Else - Unrelated [FLAC]' },
        { id: 'g-4', title: `${TRACK_ARTIST} - Single Song` },
        { id: 'g-5', title: 'Evil <script>alert(1)</script> - <img src=x onerror=alert(1)>' },
      ],
    });
    stack = await startStack({ users });
    soulspot = stack.soulspot;
  });
  afterAll(async () => {
    // The stack's close stops the SoulSpot it started; a restarted one is stopped here.
    if (soulspot !== stack?.soulspot) await soulspot?.stop();
    await stack?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'turns watched entries into one album and one track download, and says why for the rest',
    { timeout: 120_000 },
    async () => {
      expect((await api<RuleDto>('POST', '/api/watchlist', { artist: ALBUM_ARTIST })).status).toBe(
        201,
      );
      const trackRule = await api<RuleDto>('POST', '/api/watchlist', {
        artist: TRACK_ARTIST.toUpperCase(),
        kind: 'track',
      });
      expect(trackRule.status).toBe(201);
      const feed = await api<FeedDto>('POST', '/api/feeds', {
        url: `${server.url}/releases`,
        name: 'Indexer RSS',
        allowPrivateAddress: true,
        enabled: false,
      });
      expect(feed.status).toBe(201);
      feedId = feed.body.id;
      const polled = await api<PollResult>('POST', `/api/feeds/${feedId}/poll`);
      expect(polled.body).toMatchObject({ status: 'ok', entries: 5, newEntries: 5, matched: 2 });

      const byId = new Map((await entriesOf()).map((e) => [e.entryId, e]));
      expect(byId.get('g-1')).toMatchObject({
        outcome: 'accepted',
        kind: 'album',
        release: 'Reboot',
      });
      expect(byId.get('g-1')?.albumId).toBeTruthy();
      expect(byId.get('g-2')).toMatchObject({ outcome: 'unmatched' });
      expect(byId.get('g-2')?.reason).toMatch(/remix version/);
      expect(byId.get('g-3')?.reason).toMatch(/"Somebody Else" is not on the watchlist/);
      expect(byId.get('g-4')).toMatchObject({ outcome: 'accepted', kind: 'track' });
      // Titles are text: returned as they read, never as markup the server made safe or unsafe.
      expect(byId.get('g-5')?.title).toBe(
        'Evil <script>alert(1)</script> - <img src=x onerror=alert(1)>',
      );

      const albums = await albumsOf(ALBUM_ARTIST);
      expect(albums.map((a) => a.album)).toEqual(['Reboot']);
      expect(albums[0]?.id).toBe(byId.get('g-1')?.albumId);
      const done = await waitForDownloads(
        api,
        (items) =>
          items.some(
            (d) =>
              d.artist.toLowerCase() === TRACK_ARTIST.toLowerCase() && d.status === 'completed',
          ),
        60_000,
      );
      const tracks = done.filter((d) => d.artist.toLowerCase() === TRACK_ARTIST.toLowerCase());
      expect(tracks).toHaveLength(1);
      expect(tracks[0]?.id).toBe(byId.get('g-4')?.downloadId);

      // Polled again: a 304, nothing new, nothing asked for again.
      expect((await api<PollResult>('POST', `/api/feeds/${feedId}/poll`)).body.status).toBe(
        'not_modified',
      );
      expect(server.stats.get('/releases')).toMatchObject({ requests: 2, notModified: 1 });
    },
  );

  it('keeps each match exactly once across a restart and the two crash windows', async () => {
    const repo = createFeedsRepository(soulspot.db.db);
    const t = Date.now();
    const pendingRow = (entryId: string, release: string) => ({
      id: randomUUID(),
      feed_id: feedId,
      entry_hash: `hash-${entryId}`,
      entry_id: entryId,
      title: `${ALBUM_ARTIST} - ${release}`,
      link: null,
      published_at: null,
      enclosure_url: null,
      seen_at: t,
      outcome: 'pending',
      reason: `album by watched artist "${ALBUM_ARTIST}"`,
      rule_id: null,
      kind: 'album',
      artist: ALBUM_ARTIST,
      release,
      year: null,
      quality_profile_id: null,
      download_id: null,
      album_id: null,
      claim_owner: null,
      claim_until: null,
      attempts: 0,
      last_error: null,
      updated_at: t,
    });
    // A poll committed this match and the process died before accepting it.
    await repo.insertEntries([pendingRow('crash-1', 'Second Coming')]);
    // Here it died after the accept (the album exists) and before the entry was marked.
    const made = await api<AlbumDto>('POST', '/api/albums', {
      artist: ALBUM_ARTIST,
      album: 'Third Time',
    });
    expect(made.status).toBe(201);
    // Held by this process when it "crashed": the restart takes its own claims back at once.
    const owner = readFileSync(path.join(stack.config.dataDir, 'instance-id'), 'utf8').trim();
    await repo.insertEntries([
      { ...pendingRow('crash-2', 'Third Time'), claim_owner: owner, claim_until: t + 600_000 },
    ]);

    await soulspot.stop();
    soulspot = await startSoulSpot(stack.config);

    const settled = await waitUntil(
      async () => {
        const list = await entriesOf();
        return list.some((e) => e.outcome === 'pending') ? null : list;
      },
      { what: 'the pending matches accepted after the restart', timeoutMs: 30_000 },
    );
    const byId = new Map(settled.map((e) => [e.entryId, e]));
    expect(byId.get('crash-1')).toMatchObject({ outcome: 'accepted' });
    expect(byId.get('crash-2')).toMatchObject({ outcome: 'existing', albumId: made.body.id });
    expect(byId.get('crash-2')?.reason).toMatch(/asked for already/);

    // The feed again after the restart, with the same entries and one re-post of the single
    // under a new id: nothing new for the old ones, the re-post finds the track in the library.
    server.feeds
      .get('/releases')
      ?.entries.push({ id: 'g-6', title: `${TRACK_ARTIST} - Single Song` });
    const polled = await api<PollResult>('POST', `/api/feeds/${feedId}/poll`);
    expect(polled.body).toMatchObject({ status: 'ok', newEntries: 1, matched: 1 });
    const repost = (await entriesOf()).find((e) => e.entryId === 'g-6');
    expect(repost).toMatchObject({ outcome: 'existing' });
    expect(repost?.reason).toMatch(/library has this track/);

    const albums = (await albumsOf(ALBUM_ARTIST)).map((a) => a.album).sort();
    expect(albums).toEqual(['Reboot', 'Second Coming', 'Third Time']);
    const downloads = await waitForDownloads(api, () => true, 5_000);
    expect(
      downloads.filter((d) => d.artist.toLowerCase() === TRACK_ARTIST.toLowerCase()),
    ).toHaveLength(1);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/api/feeds', {}, /body.*url/],
      ['POST', '/api/feeds', { url: 'ftp://feeds.example/rss' }, /^body\/url/],
      ['POST', '/api/feeds', { url: 'http://10.0.0.1/rss' }, /^body\/url: .*refused/],
      ['POST', '/api/feeds', { url: 'http://127.0.0.1:1/rss' }, /^body\/url: .*refused/],
      [
        'POST',
        '/api/feeds',
        { url: 'https://f.example/rss', intervalMinutes: 0 },
        /^body\/intervalMinutes/,
      ],
      ['POST', '/api/feeds', { url: 'https://f.example/rss', colour: 'red' }, /colour/],
      ['PATCH', `/api/feeds/${feedId}`, {}, /^body/],
      [
        'PATCH',
        `/api/feeds/${feedId}`,
        { allowPrivateAddress: false },
        /^body\/allowPrivateAddress: .*refused/,
      ],
      ['POST', '/api/watchlist', { artist: '' }, /^body\/artist/],
      ['POST', '/api/watchlist', { artist: '!!!' }, /^body\/artist: has no letters/],
      ['POST', '/api/watchlist', { artist: 'A', kind: 'ep' }, /^body\/kind/],
      ['POST', '/api/watchlist', { artist: 'A', keywords: [''] }, /^body\/keywords\/0/],
      [
        'POST',
        '/api/watchlist',
        { artist: 'A', qualityProfileId: randomUUID() },
        /^body\/qualityProfileId: no such profile/,
      ],
      [
        'POST',
        '/api/watchlist',
        { artist: 'A', provider: 'usenet' },
        /^body\/provider: no provider "usenet"/,
      ],
      ['GET', `/api/feeds/${feedId}/entries?cursor=bogus!`, undefined, /cursor/],
      ['GET', `/api/feeds/${feedId}/entries?limit=0`, undefined, /limit/],
      ['GET', '/api/feeds/not-a-uuid', undefined, /params\/id/],
    ];
    for (const [method, url, body, message] of cases) {
      const res = await api<{ message: string }>(method, url, body);
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.message, `${method} ${url}`).toMatch(message);
    }
    expect((await api('GET', `/api/feeds/${randomUUID()}`)).status).toBe(404);
    expect((await api('DELETE', `/api/watchlist/${randomUUID()}`)).status).toBe(404);
    // The feed itself is unchanged by the refused patch.
    expect((await api<FeedDto>('GET', `/api/feeds/${feedId}`)).body.allowPrivateAddress).toBe(true);
  });

  it('lists, changes and removes feeds and rules', async () => {
    const feeds = await api<{ items: FeedDto[] }>('GET', '/api/feeds');
    expect(feeds.body.items.map((f) => f.id)).toContain(feedId);
    const patched = await api<FeedDto>('PATCH', `/api/feeds/${feedId}`, {
      intervalMinutes: 15,
      name: 'Renamed',
    });
    expect(patched.body).toMatchObject({ intervalMinutes: 15, name: 'Renamed' });
    const rules = await api<{ items: RuleDto[] }>('GET', '/api/watchlist');
    const rule = rules.body.items.find((r) => r.kind === 'track');
    expect(rule).toBeDefined();
    const changed = await api<RuleDto>('PATCH', `/api/watchlist/${rule!.id}`, {
      album: 'Only This',
      keywords: ['flac'],
    });
    expect(changed.body).toMatchObject({ album: 'Only This', keywords: ['flac'] });
    expect((await api('DELETE', `/api/watchlist/${rule!.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/feeds/${feedId}`)).status).toBe(204);
    expect((await api('GET', `/api/feeds/${feedId}/entries`)).status).toBe(404);
    // The downloads the feed started stay.
    expect((await albumsOf(ALBUM_ARTIST)).length).toBe(3);
  });
});
