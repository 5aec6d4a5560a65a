import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { freshDb, testDialects } from './helpers/db.js';

/**
 * The event log's append sets a per-transaction idle timeout, so a process stopped (SIGSTOP, a frozen
 * VM) inside its append transaction cannot hold the append lock, and with it every writer, forever:
 * the server ends that session. The process must survive that when it resumes: its write fails like
 * any lost connection (the job's lease is gone by then anyway), nothing escapes as an uncaught error.
 */
describe.runIf(testDialects().includes('postgres'))(
  'a session the server ends mid-transaction',
  () => {
    it('fails the transaction with an error, raises nothing uncaught, and frees the lock', async () => {
      const db = await freshDb('postgres');
      const uncaught: unknown[] = [];
      const onUncaught = (e: unknown): void => void uncaught.push(e);
      process.on('uncaughtException', onUncaught);
      try {
        const outcome = await db
          .writeTx(async (tx) => {
            await sql`SELECT set_config('idle_in_transaction_session_timeout', '300ms', true), pg_advisory_xact_lock(7, 7)`.execute(
              tx,
            );
            await new Promise((r) => setTimeout(r, 1200)); // idle in the transaction, as a stopped process
            await sql`SELECT 1`.execute(tx);
          })
          .then(
            () => 'committed',
            (error: unknown) => `failed: ${String(error)}`,
          );
        expect(outcome).toMatch(/^failed:/);
        // The lock went with the session: another transaction takes it at once.
        await db.writeTx((tx) => sql`SELECT pg_advisory_xact_lock(7, 7)`.execute(tx));
        // The pool still works after discarding the ended client.
        const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db.db);
        expect(rows[0]?.one).toBe(1);
        await new Promise((r) => setTimeout(r, 100)); // let a late 'error' event surface, if any
        expect(uncaught.map(String)).toEqual([]);
      } finally {
        process.off('uncaughtException', onUncaught);
        await db.cleanup();
      }
    });
  },
);
