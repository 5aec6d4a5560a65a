import { chaosBench } from './chaos.bench.js';
import { endToEndBench } from './end-to-end.bench.js';
import { enqueueBench } from './enqueue.bench.js';
import { feedsBench } from './feeds.bench.js';
import { eventAppendBench } from './event-append.bench.js';
import { libraryBench } from './library.bench.js';
import { notifyBench } from './notify.bench.js';
import { postProcessFigure } from './post-process.figure.js';
import { claimBench } from './claim.bench.js';
import { queueBench } from './queue.bench.js';
import { refillBench } from './refill.bench.js';
import { rssBench } from './rss.bench.js';
import { statsBench } from './stats.bench.js';
import { pgUrl } from './setup.js';
import { syncCycleBench } from './sync-cycle.bench.js';
import { uiBench } from './ui.bench.js';

/** `npm run bench [name…]`: runs the benchmarks and prints their figures. */
const only = process.argv.slice(2);
const want = (name: string): boolean => only.length === 0 || only.includes(name);

async function main(): Promise<void> {
  if (want('enqueue')) {
    console.log('== enqueue through the API');
    console.table([await enqueueBench()]);
    const url = pgUrl();
    if (url) console.table([await enqueueBench(url)]);
    else console.log('  (PostgreSQL run skipped: set BENCH_PG_URL or TEST_PG_URL)');
  }
  if (want('sync')) {
    console.log('== one sync cycle with 2,000 active transfers');
    console.table([await syncCycleBench()]);
  }
  if (want('e2e')) {
    console.log('== 500 tracks end to end through the emulator, 10 at a time');
    console.table([await endToEndBench()]);
  }
  if (want('refill')) {
    console.log('== slot refill alone (the refill part of `queue`, on an empty database)');
    const url = pgUrl();
    console.table([await refillBench(), ...(url ? [await refillBench(url)] : [])]);
  }
  if (want('queue')) {
    console.log('== the queue with 100,000 downloads, through the API (targets: see README)');
    const url = pgUrl();
    const figures = [...(await queueBench())];
    if (url) figures.push(...(await queueBench(url)));
    else console.log('  (PostgreSQL run skipped: set BENCH_PG_URL or TEST_PG_URL)');
    console.table(figures);
    console.log("== SoulSpot's own RSS as a child process, 100,000 downloads");
    console.table([...(await rssBench()), ...(url ? await rssBench(url) : [])]);
    // The claim loop on an empty queue and with 100,000 downloads waiting (the setting).
    for (const queued of [3000, 100_000]) {
      const claims = await claimBench(url, queued);
      const ratio = claims.postgres && claims.pgBoss ? claims.postgres / claims.pgBoss : undefined;
      console.log(`  claim+complete of 3,000 jobs with ${queued.toLocaleString('en')} waiting`);
      console.table([
        { queue: 'SoulSpot, SQLite', 'claim+complete/s': claims.sqlite },
        ...(claims.postgres
          ? [{ queue: 'SoulSpot, PostgreSQL', 'claim+complete/s': claims.postgres }]
          : []),
        ...(claims.pgBoss
          ? [{ queue: 'pg-boss, same PostgreSQL', 'claim+complete/s': claims.pgBoss }]
          : []),
      ]);
      if (ratio !== undefined)
        console.log(
          `  SoulSpot/pg-boss on PostgreSQL: ${ratio.toFixed(2)}x (target >= 1: ${ratio >= 1 ? 'pass' : 'FAIL'})`,
        );
    }
  }
  if (only.includes('rss')) {
    // Only when asked by name: the same figure `queue` prints, without the rest of that bench.
    console.log("== SoulSpot's own RSS as a child process, 100,000 downloads");
    const url = pgUrl();
    console.table([...(await rssBench()), ...(url ? await rssBench(url) : [])]);
  }
  if (want('events')) {
    console.log('== event appends on PostgreSQL: the append lock with 1 and 3 processes');
    const url = pgUrl();
    if (url) console.table(await eventAppendBench(url));
    else console.log('  (skipped: set BENCH_PG_URL or TEST_PG_URL)');
  }
  if (want('library')) {
    console.log(
      '== library: per-file costs of filing (transcode check: 3-minute FLAC, 60 s 192 kHz)',
    );
    console.table(await libraryBench());
    console.log('== post-process 200 FLAC files: tags + cover + move (target >= 50 files/s)');
    console.table([await postProcessFigure(1), await postProcessFigure(2)]);
  }
  if (only.includes('post-process')) {
    // Only when asked by name: the last figure of `library`, without the rest of that bench.
    console.log('== post-process 200 FLAC files: tags + cover + move (target >= 50 files/s)');
    console.table([await postProcessFigure(1), await postProcessFigure(2)]);
  }
  if (only.includes('ranking')) {
    // Only when asked by name: the ranking rows `library` prints, without the transcode checks.
    const { rankingFigures } = await import('./library.bench.js');
    console.log('== ranking 25,000 search results (the last rows of `library`)');
    console.table(rankingFigures());
  }
  if (want('notify')) {
    console.log('== notification outbox: deliveries/s to a loopback receiver (signed webhooks)');
    const url = pgUrl();
    console.table([...(await notifyBench()), ...(url ? await notifyBench(url) : [])]);
    if (!url) console.log('  (PostgreSQL run skipped: set BENCH_PG_URL or TEST_PG_URL)');
  }
  if (want('ui')) {
    console.log('== the web UI in chromium with 100,000 downloads (SQLite)');
    const { figures, chunks } = await uiBench();
    console.table(figures);
    console.table(chunks);
  }
  if (want('stats')) {
    console.log(
      '== statistics over a year of 100,000 downloads, and the history export, via the API',
    );
    const url = pgUrl();
    const figures = await statsBench();
    if (url) figures.push(...(await statsBench(url)));
    else console.log('  (PostgreSQL run skipped: set BENCH_PG_URL or TEST_PG_URL)');
    console.table(figures);
  }
  if (want('indexers')) console.table(await (await import('./indexers.bench.js')).indexersBench());
  if (want('fallback')) {
    console.log(
      '== no usable Soulseek result → the next provider (Newznab + real NZBGet on a private INN), 12 tracks',
    );
    console.table(await (await import('./fallback.bench.js')).fallbackBench());
  }
  if (want('feeds')) {
    console.log(
      '== RSS/Atom poll of 50 loopback feeds of 100 entries, 4 at a time, 20 watchlist rules',
    );
    const url = pgUrl();
    console.table([...(await feedsBench()), ...(url ? await feedsBench(url) : [])]);
  }
  if (want('chaos')) {
    console.log('== 300 tracks while 30% of peers misbehave at random and slskd restarts twice');
    console.table(await chaosBench());
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
