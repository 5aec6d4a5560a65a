import { chaosBench } from './chaos.bench.js';
import { endToEndBench } from './end-to-end.bench.js';
import { enqueueBench } from './enqueue.bench.js';
import { pgUrl } from './setup.js';
import { syncCycleBench } from './sync-cycle.bench.js';

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
