import { freshPgDatabase } from '../test/helpers/db.js';
import { benchStack, percentile } from './setup.js';

/** POST /api/downloads as fast as 16 concurrent clients can: the API path alone (workers off). */
export async function enqueueBench(databaseUrl?: string): Promise<Record<string, number | string>> {
  const pgDb = databaseUrl ? await freshPgDatabase(databaseUrl) : undefined;
  const stack = await benchStack([], pgDb ? { SOULSPOT_DATABASE_URL: pgDb.url } : {}, {
    runWorkers: false,
  });
  const total = 3000;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const res = await stack.post('/api/downloads', {
          artist: `Bench Artist ${i % 97}`,
          title: `Bench Title ${i}`,
        });
        if (res.status !== 201) throw new Error(`enqueue ${i}: ${res.status}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const queriesPerEnqueue = stack.queries.count / total;
  await stack.close();
  await pgDb?.drop();
  return {
    storage: databaseUrl ? 'postgres' : 'sqlite',
    enqueues: total,
    'enqueues/s': Math.round(total / seconds),
    'p50 ms': +percentile(latencies, 50).toFixed(2),
    'p99 ms': +percentile(latencies, 99).toFixed(2),
    'queries/enqueue': +queriesPerEnqueue.toFixed(1),
  };
}
