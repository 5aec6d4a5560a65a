import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIndexerServer, type IndexerServer } from '../../../test/helpers/indexer-server.js';
import { rankCandidates } from '../../matching/ranking.js';
import { createTorznabProvider } from './torznab.provider.js';
import { torznabSettings } from './torznab.settings.js';

/** From an indexer's feed to the ranking: what a search step would see. */
let server: IndexerServer;

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  server = await startIndexerServer({
    dialect: 'torznab',
    releases: [
      {
        title: 'Radiohead - OK Computer (1997) [MP3 320]',
        size: 1.2e8,
        seeders: 300,
        publishedAt: NOW - DAY,
      },
      {
        title: 'Radiohead - OK Computer (1997) [FLAC]',
        size: 4e8,
        seeders: 4,
        publishedAt: NOW - 400 * DAY,
      },
      {
        title: 'Radiohead - OK Computer OKNOTOK 1997 2017 [FLAC 24-96]',
        size: 9e8,
        seeders: 40,
        publishedAt: NOW - 30 * DAY,
      },
      { title: 'Radiohead - Karma Police (Remixes) [FLAC]', size: 1e8, seeders: 90 },
      {
        title: 'Karaoke Hits - In the Style of Radiohead - OK Computer [FLAC]',
        size: 1e8,
        seeders: 90,
      },
      { title: 'Radiohead - OK Computer Live in Tokyo [FLAC]', size: 1e8, seeders: 90 },
      { title: 'Radiohead - OK Computer (1997) [FLAC]', guid: 'dead', size: 4e8, seeders: 0 },
    ],
  });
});

afterAll(async () => server?.close());

describe('indexer results through the ranking', () => {
  it('ranks lossless first, seeded before dead, and rejects the decoys with their reasons', async () => {
    const provider = createTorznabProvider(
      torznabSettings({
        id: 'ix',
        url: server.apiUrl,
        apiKey: '',
        protocol: 'torrent',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      }),
    );
    const found = await provider.searchReleases({
      artist: 'Radiohead',
      album: 'OK Computer',
      q: '',
    });
    expect(found).toHaveLength(6); // t=music with artist+album: the remix EP does not name the album
    const all = [...found, ...(await provider.searchReleases({ q: 'Radiohead Karma Police' }))];
    const result = rankCandidates(
      { artist: 'Radiohead', title: 'Karma Police', album: 'OK Computer', durationSeconds: 264 },
      all,
      { now: NOW },
    );
    expect(result.ranked.map((r) => r.candidate.release?.guid)).toEqual([
      'Radiohead - OK Computer OKNOTOK 1997 2017 [FLAC 24-96]',
      'Radiohead - OK Computer (1997) [FLAC]',
      'dead',
      'Radiohead - OK Computer (1997) [MP3 320]',
    ]);
    const reasons = Object.fromEntries(
      result.rejected.map((r) => [r.candidate.filename, r.reason]),
    );
    expect(reasons).toEqual({
      'Radiohead - Karma Police (Remixes) [FLAC]': 'remix, not requested',
      'Karaoke Hits - In the Style of Radiohead - OK Computer [FLAC]': 'karaoke, not requested',
      'Radiohead - OK Computer Live in Tokyo [FLAC]': 'live, not requested',
    });
  });
});
