import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { createEventLog } from '../src/events/event-log.js';

/**
 * One process of the event-append bench (event-append.bench.ts starts it): `CONCURRENCY` loops,
 * each committing transactions that change a download row and append its event, as the pipeline
 * does, until the end the bench names. Prints one JSON line: transactions done, and per transaction the time of
 * append() (the wait for the append lock, then its insert) and the whole transaction's time (ms).
 */
const url = process.env.BENCH_URL as string;
const concurrency = Number(process.env.CONCURRENCY);
const withEvents = process.env.EVENTS === '1';
const rowIds = (process.env.ROW_IDS as string).split(',');

const handle = await openDatabase({ url, poolSize: concurrency + 1 });
const events = createEventLog({ handle, pollMs: 0 });
const waits: number[] = [];
const txs: number[] = [];
// Ready once connected; the bench starts every process at once and names the end.
await sql`SELECT 1`.execute(handle.db);
const endAt = await new Promise<number>((resolve) => {
  process.once('message', (m: { endAt: number }) => resolve(m.endAt));
  process.send?.('ready');
});
await Promise.all(
  rowIds.slice(0, concurrency).map(async (id) => {
    for (let n = 0; Date.now() < endAt; n++) {
      const t0 = performance.now();
      await handle.writeTx(async (tx) => {
        // The change the event reports: one row per loop, so rows never conflict.
        await tx
          .updateTable('downloads')
          .set({ updated_at: Date.now(), retry_count: n % 5 })
          .where('id', '=', id)
          .execute();
        if (!withEvents) return;
        // append() waits for the append lock, then inserts: its time is mostly that wait.
        const l0 = performance.now();
        await events.append(tx, 'downloads.changed', { action: 'cancel', ids: [id] });
        waits.push(performance.now() - l0);
      });
      txs.push(performance.now() - t0);
    }
  }),
);
await events.stop();
await handle.close();
process.stdout.write(`${JSON.stringify({ done: txs.length, waits, txs })}\n`);
