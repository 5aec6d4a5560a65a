import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { setUpFeeds } from '../src/feeds/feeds.setup.js';
import { freshPgDatabase } from '../test/helpers/db.js';
import { startFeedServer } from './feeds-server.js';

const FEEDS = 50;
const ENTRIES = 100;
const RULES = 20;
/** Polls at once, as the scheduler's default. */
const CONCURRENCY = 4;

export interface FeedsFigures {
  database: string;
  round: string;
  feeds: number;
  'total ms': number;
  'per feed p50 ms': number;
  'per feed p99 ms': number;
  'new entries': number;
}

const pct = (sorted: number[], p: number): number =>
  Math.round(
    (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10,
  ) / 10;

/**
 * A poll of 50 loopback feeds of 100 entries each (half RSS with ETag, half Atom with
 * Last-Modified), 4 at a time, with 20 watchlist rules to match against: first round every
 * document is new (200, 100 entries recorded per feed), second round every feed answers 304.
 * Each poll is the whole path: the claim, safe-fetch, parsing, matching, and the one transaction
 * that records the entries and the result.
 */
export async function feedsBench(pgUrl?: string): Promise<FeedsFigures[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-bench-feeds-'));
  const pg = pgUrl ? await freshPgDatabase(pgUrl) : null;
  const handle = await openDatabase(
    pg ? { url: pg.url } : { url: null, sqlitePath: path.join(dir, 'bench.db') },
  );
  const server = await startFeedServer();
  const feeds = setUpFeeds({
    handle,
    targets: {
      albums: { create: () => Promise.reject(new Error('no match expected')) },
      downloads: { create: () => Promise.reject(new Error('no match expected')) },
    },
    providers: () => ['slskd'],
    owner: 'bench',
    log: { warn: () => undefined },
  });
  try {
    for (let r = 0; r < RULES; r++)
      await feeds.service.createRule({ artist: `Watched Artist ${r}` });
    const ids: string[] = [];
    for (let f = 0; f < FEEDS; f++) {
      const route = `/feed/${f}`;
      server.feeds.set(route, {
        format: f % 2 === 0 ? 'rss' : 'atom',
        entries: Array.from({ length: ENTRIES }, (_, i) => ({
          id: `urn:feed-${f}:entry-${i}`,
          title: `Artist ${f}-${i} - Album Number ${i} (2024) [FLAC 24-96]`,
        })),
      });
      const feed = await feeds.service.createFeed({
        url: `${server.url}${route}`,
        allowPrivateAddress: true,
        enabled: false,
      });
      ids.push(feed.id);
    }
    const database = pg ? 'PostgreSQL' : 'SQLite';
    const out: FeedsFigures[] = [];
    for (const round of ['first poll (200, all new)', 'second poll (304)']) {
      const times: number[] = [];
      let fresh = 0;
      let next = 0;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          const t0 = performance.now();
          const result = await feeds.service.pollNow(id);
          times.push(performance.now() - t0);
          fresh += result.newEntries;
          if (result.status === 'failed') throw new Error(`poll failed: ${result.error}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const total = performance.now() - started;
      times.sort((a, b) => a - b);
      out.push({
        database,
        round,
        feeds: FEEDS,
        'total ms': Math.round(total),
        'per feed p50 ms': pct(times, 50),
        'per feed p99 ms': pct(times, 99),
        'new entries': fresh,
      });
    }
    return out;
  } finally {
    await feeds.stop();
    await server.close();
    await handle.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
