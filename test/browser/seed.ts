import { newDownloadRow } from '../../src/downloads/accept.js';
import type { SoulSpot } from '../../src/main.js';

/**
 * `count` waiting downloads written by direct SQL (as a long-running install has them, and as
 * bench/queue.bench.ts seeds them), due tomorrow so no runner picks them up meanwhile.
 * Queue order follows `Seed track N` (they are created one second apart).
 */
export async function seedWaiting(soulspot: SoulSpot, count: number): Promise<void> {
  const t0 = Date.now() - count * 1000;
  const tomorrow = Date.now() + 86_400_000;
  // One transaction: on SQLite that is one fsync for the lot, not one per batch.
  await soulspot.db.db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i += 500) {
      const rows = Array.from({ length: Math.min(500, count - i) }, (_, k) => {
        const n = i + k;
        const row = newDownloadRow(
          { artist: `Seed ${n % 997}`, title: `Seed track ${n}` },
          t0 + n * 1000,
          3,
        );
        return { ...row, run_after: tomorrow };
      });
      await trx.insertInto('downloads').values(rows).execute();
    }
  });
}
