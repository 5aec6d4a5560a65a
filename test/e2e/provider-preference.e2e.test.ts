// A watch rule's provider, end to end: a loopback feed server, a loopback Torznab indexer and the
// slskd emulator behind a real SoulSpot. A rule naming the indexer makes its track download search
// the indexer first (asked before the emulator is), then fall back to Soulseek, where the track
// is; the same download without a preference never asks the indexer. An album rule gives the
// provider to the tracks its folder search makes, which still come from the folder found. A rule
// whose indexer was removed since still gets its download, without the preference.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../bench/feeds-server.js';
import type { SimUser } from '../../emulator/emulator.js';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import type { EntryDto, FeedDto, RuleDto } from '../../src/feeds/feeds.dto.js';
import type { PollResult } from '../../src/feeds/feed-poll.js';
import { makeTone } from '../helpers/audio.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const ARTIST = 'Preference Tester';
const ALBUM_ARTIST = 'Folder Keeper';
const ALBUM = 'Pinned Down';
const ALBUM_TITLES = ['First Pin', 'Second Pin'];
/** An album asked for with a track list and the indexer preferred: no Soulseek folder search. */
const LISTED_ALBUM = 'Elsewhere First';
const LISTED_TITLES = ['Far One', 'Far Two'];
const INDEXER = 'torznab:local';

let work: string;
let indexer: IndexerServer;
let feeds: FeedServer;
let stack: Stack;
let feedId: string;

/** Searches (not capability reads) the indexer was asked, in arrival order. */
const indexerSearches = () => indexer.requests.filter((r) => r.t !== 'caps');
/** When the emulator (slskd) was first asked for a text containing `words`. */
const slskdAskedAt = (words: string) =>
  stack.emulator.searchLog.find((s) => s.searchText.toLowerCase().includes(words.toLowerCase()))
    ?.at;

async function settled(id: string): Promise<DownloadDto> {
  const items = await stack.waitFor(
    (all) => all.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
    60_000,
  );
  return items.find((d) => d.id === id)!;
}

async function entriesOf(): Promise<Map<string, EntryDto>> {
  const res = await stack.api<{ items: EntryDto[] }>(
    'GET',
    `/api/feeds/${feedId}/entries?limit=100`,
  );
  return new Map(res.body.items.map((e) => [e.entryId, e]));
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'soulspot-preference-'));
  const tones: string[] = [];
  for (let i = 0; i < 7; i++) {
    const file = path.join(work, `t${i}.flac`);
    await makeTone(file, { seconds: 2, frequency: 300 + 41 * i, format: 'flac' });
    tones.push(file);
  }
  const single = (title: string, i: number) => ({
    remotePath: `@@s\\Music\\${ARTIST}\\Singles\\${title}.flac`,
    localPath: tones[i]!,
  });
  const users: SimUser[] = [
    {
      username: 'sharer',
      files: [single('Wanted Song', 0), single('Control Song', 1), single('Later Song', 2)],
    },
    {
      username: 'albumer',
      files: ALBUM_TITLES.map((t, i) => ({
        remotePath: `@@a\\Music\\${ALBUM_ARTIST}\\${ALBUM} (2020)\\0${i + 1} - ${t}.flac`,
        localPath: tones[3 + i]!,
      })),
    },
    {
      username: 'lister',
      files: LISTED_TITLES.map((t, i) => ({
        remotePath: `@@l\\Music\\${ALBUM_ARTIST}\\${LISTED_ALBUM}\\0${i + 1} - ${t}.flac`,
        localPath: tones[5 + i]!,
      })),
    },
  ];
  // The indexer has nothing: a download that searches it first goes on to Soulseek.
  indexer = await startIndexerServer({ dialect: 'torznab', apiKey: 'ix-key', releases: [] });
  feeds = await startFeedServer();
  feeds.feeds.set('/watch', {
    format: 'rss',
    entries: [
      { id: 'w-1', title: `${ARTIST} - Wanted Song` },
      { id: 'w-2', title: `${ALBUM_ARTIST} - ${ALBUM} (2020) [FLAC]` },
    ],
  });
  stack = await startStack({
    users,
    env: {
      // The indexer's releases would go to this client; nothing here reaches it.
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        { type: 'qbittorrent', url: 'http://127.0.0.1:9', username: 'u', password: 'p' },
      ]),
    },
  });
  // Added through the API, so the last case can remove it again.
  const added = await stack.api('POST', '/api/indexers', {
    id: 'local',
    type: 'torznab',
    settings: {
      url: indexer.apiUrl,
      apiKey: 'ix-key',
      clientId: 'qbittorrent',
      allowPrivateAddress: true,
    },
  });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await Promise.allSettled([indexer?.close(), feeds?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a watch rule provider routes its downloads', { timeout: 120_000 }, () => {
  it("a track rule's download searches the rule's indexer first, then falls back", async () => {
    for (const rule of [
      { artist: ARTIST, kind: 'track', provider: INDEXER },
      { artist: ALBUM_ARTIST, kind: 'album', provider: INDEXER },
    ]) {
      const made = await stack.api<RuleDto>('POST', '/api/watchlist', rule);
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
    const feed = await stack.api<FeedDto>('POST', '/api/feeds', {
      url: `${feeds.url}/watch`,
      allowPrivateAddress: true,
      enabled: false,
    });
    expect(feed.status).toBe(201);
    feedId = feed.body.id;
    const polled = await stack.api<PollResult>('POST', `/api/feeds/${feedId}/poll`);
    expect(polled.body).toMatchObject({ status: 'ok', matched: 2 });

    const entry = (await entriesOf()).get('w-1');
    expect(entry).toMatchObject({ outcome: 'accepted', kind: 'track' });
    const done = await settled(entry!.downloadId!);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(done.preferredProvider).toBe(INDEXER);

    // At the sources: the indexer was asked for the track before slskd was. (The album rule's
    // album, made at the same poll, asks the indexer for its album: another search.)
    const first = indexerSearches().find((r) => /Wanted Song/i.test(JSON.stringify(r.params)));
    expect(first, 'the indexer was searched').toBeDefined();
    const slskdAt = slskdAskedAt('Wanted Song');
    expect(slskdAt, 'slskd was searched').toBeDefined();
    expect(first!.at).toBeLessThanOrEqual(slskdAt!);
    // And in what the download says: the indexer had nothing, slskd's file won.
    const candidates = (
      await stack.api<CandidatesDto>('GET', `/api/downloads/${done.id}/candidates`)
    ).body;
    expect(candidates.earlier.map((e) => e.provider)).toEqual([INDEXER]);
    expect(candidates.provider).toBe('slskd');
  });

  it("an album rule's tracks, made from the folder found, carry it and come from that folder", async () => {
    const albumId = (await entriesOf()).get('w-2')?.albumId;
    expect(albumId).toBeTruthy();
    const album = await waitUntil(
      async () => {
        const a = (await stack.api<AlbumDto>('GET', `/api/albums/${albumId}`)).body;
        return a.status === 'completed' || a.status === 'failed' ? a : null;
      },
      { what: 'the album settled', timeoutMs: 60_000 },
    );
    expect(album.status).toBe('completed');
    expect(album.preferredProvider).toBe(INDEXER);
    // Without a track list the album itself was looked for at the indexer it prefers first
    // (which has nothing), then in Soulseek's folders.
    expect(
      indexerSearches().some((r) => r.params.artist === ALBUM_ARTIST && r.params.album === ALBUM),
    ).toBe(true);
    expect(album.tracks?.map((t) => t.title)).toEqual(ALBUM_TITLES);
    // The folder pin is as before: each track from the folder, not searched on its own.
    expect(album.tracks?.every((t) => t.fromFolder)).toBe(true);
    for (const t of album.tracks ?? []) {
      const d = (await stack.api<DownloadDto>('GET', `/api/downloads/${t.downloadId}`)).body;
      expect(d.preferredProvider).toBe(INDEXER);
    }
  });

  it('the same kind of download without a preference never asks the indexer', async () => {
    const before = indexerSearches().length;
    const made = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Control Song',
    });
    expect(made.status).toBe(201);
    expect(made.body.preferredProvider).toBeNull();
    const done = await settled(made.body.id);
    expect(done.status).toBe('completed');
    expect(slskdAskedAt('Control Song')).toBeDefined();
    expect(indexerSearches().length).toBe(before);
  });

  it('an album with a track list and the indexer preferred: its tracks search the indexer first', async () => {
    const made = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: ALBUM_ARTIST,
      album: LISTED_ALBUM,
      tracks: LISTED_TITLES.map((title, i) => ({ title, trackNumber: i + 1 })),
      provider: INDEXER,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    // No Soulseek folder search to wait for: the tracks are due at once.
    expect(made.body.folderSearch.state).toBe('done');
    const album = await waitUntil(
      async () => {
        const a = (await stack.api<AlbumDto>('GET', `/api/albums/${made.body.id}`)).body;
        return a.status === 'completed' || a.status === 'failed' ? a : null;
      },
      { what: 'the album settled', timeoutMs: 60_000 },
    );
    expect(album.status).toBe('completed');
    expect(album.folder).toBeNull();
    for (const t of album.tracks ?? []) {
      expect(t.fromFolder).toBe(false);
      // Each track asked the indexer first (it had nothing), then found its file on Soulseek.
      const c = (await stack.api<CandidatesDto>('GET', `/api/downloads/${t.downloadId}/candidates`))
        .body;
      expect(c.earlier.map((e) => e.provider)).toEqual([INDEXER]);
      expect(c.provider).toBe('slskd');
      const asked = indexerSearches().find((r) => JSON.stringify(r.params).includes(t.title));
      expect(asked, `the indexer was asked for ${t.title}`).toBeDefined();
      expect(asked!.at).toBeLessThanOrEqual(slskdAskedAt(t.title)!);
    }
    // Nor was Soulseek searched for the album's folder (a search for the album without a title).
    const folderSearches = stack.emulator.searchLog.filter(
      (x) =>
        x.searchText.toLowerCase().includes(LISTED_ALBUM.toLowerCase()) &&
        !LISTED_TITLES.some((t) => x.searchText.toLowerCase().includes(t.toLowerCase())),
    );
    expect(folderSearches).toEqual([]);
  });

  it('a rule whose indexer was removed still gets its download, without the preference', async () => {
    expect((await stack.api('DELETE', '/api/indexers/local')).status).toBe(204);
    feeds.feeds.get('/watch')?.entries.push({ id: 'w-3', title: `${ARTIST} - Later Song` });
    const polled = await stack.api<PollResult>('POST', `/api/feeds/${feedId}/poll`);
    expect(polled.body).toMatchObject({ status: 'ok', newEntries: 1, matched: 1 });
    const entry = (await entriesOf()).get('w-3');
    expect(entry).toMatchObject({ outcome: 'accepted' });
    expect(entry?.reason).toMatch(/provider "torznab:local" is not configured now/);
    const done = await settled(entry!.downloadId!);
    expect(done.status).toBe('completed');
    expect(done.preferredProvider).toBeNull();
  });
});
