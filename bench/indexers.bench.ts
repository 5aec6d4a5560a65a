import { performance } from 'node:perf_hooks';
import {
  createTorznabProvider,
  type TorznabProvider,
} from '../src/providers/torznab/torznab.provider.js';
import { torznabSettings } from '../src/providers/torznab/torznab.settings.js';
import { startIndexerServer, type IndexerServer } from '../test/helpers/indexer-server.js';
import { percentile } from './setup.js';

/** Fan-out queries measured (after a warm-up that loads every indexer's caps). */
const QUERIES = 200;
const INDEXERS = 5;
/** The slow indexer's delay before every answer. */
const SLOW_MS = 250;
const RELEASES_PER_INDEXER = 100;

export interface IndexerFanOutFigure {
  measure: string;
  queries: number;
  'p50 ms': number;
  'p99 ms': number;
}

/**
 * One search sent to 5 Torznab indexers at once (5 loopback test servers, one of them answering
 * SLOW_MS late), each answering a full page of 100 releases: the time until all have answered and
 * been mapped to candidates, and until the 4 fast ones have. What a fallback search across
 * indexers waits for; the slow indexer's delay bounds the first figure from below.
 */
export async function indexersBench(): Promise<IndexerFanOutFigure[]> {
  const servers: IndexerServer[] = [];
  try {
    for (let i = 0; i < INDEXERS; i++) {
      servers.push(
        await startIndexerServer({
          dialect: i % 2 === 0 ? 'torznab' : 'newznab',
          apiKey: `bench-key-${i}`,
          delayMs: i === INDEXERS - 1 ? SLOW_MS : 0,
          releases: Array.from({ length: RELEASES_PER_INDEXER }, (_, n) => ({
            title: `Radiohead - OK Computer (${1997 + (n % 20)}) [${n % 2 ? 'FLAC' : 'MP3 320'}] #${n}`,
            guid: `ix${i}-${n}`,
            artist: 'Radiohead',
            album: 'OK Computer',
            size: 100_000_000 + n,
            seeders: n,
          })),
        }),
      );
    }
    const providers: TorznabProvider[] = servers.map((server, i) =>
      createTorznabProvider(
        torznabSettings({
          id: `ix${i}`,
          url: server.apiUrl,
          apiKey: `bench-key-${i}`,
          protocol: i % 2 === 0 ? 'torrent' : 'usenet',
          clientId: i % 2 === 0 ? 'qbittorrent' : 'sabnzbd',
          allowPrivateAddress: true,
          rateLimitPerMinute: 1_000_000,
          maxPages: 1,
        }),
      ),
    );
    const terms = { artist: 'Radiohead', album: 'OK Computer' };
    // Warm-up: every indexer's caps loaded, the parser and the mapping compiled.
    for (let w = 0; w < 20; w++) await Promise.all(providers.map((p) => p.searchReleases(terms)));
    const all: number[] = [];
    const fast: number[] = [];
    let candidates = 0;
    for (let q = 0; q < QUERIES; q++) {
      const start = performance.now();
      const runs = providers.map((p, i) =>
        p.searchReleases(terms).then((found) => {
          candidates += found.length;
          return { i, at: performance.now() - start };
        }),
      );
      const done = await Promise.all(runs);
      all.push(Math.max(...done.map((d) => d.at)));
      fast.push(Math.max(...done.filter((d) => d.i !== INDEXERS - 1).map((d) => d.at)));
    }
    if (candidates !== QUERIES * INDEXERS * RELEASES_PER_INDEXER) {
      throw new Error(
        `expected ${QUERIES * INDEXERS * RELEASES_PER_INDEXER} candidates, got ${candidates}`,
      );
    }
    const figure = (measure: string, values: number[]): IndexerFanOutFigure => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        measure,
        queries: QUERIES,
        'p50 ms': +percentile(sorted, 50).toFixed(1),
        'p99 ms': +percentile(sorted, 99).toFixed(1),
      };
    };
    return [
      figure(`all ${INDEXERS} answered (one ${SLOW_MS} ms late)`, all),
      figure(`the ${INDEXERS - 1} fast ones answered`, fast),
    ];
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}
