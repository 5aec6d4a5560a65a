import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { startNotifier } from './helpers/notifier.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { waitUntil } from './helpers/wait.js';

type Notifier = Awaited<ReturnType<typeof startNotifier>>;

/**
 * Lock order between the outbox and the event log's append lock, on PostgreSQL (SQLite has one
 * writer, nothing to order). A transaction may append more than once (a batch command appends
 * `downloads.changed` then its album events; the bridge one append per pending event), so its
 * second append's outbox work comes after the append lock its first one took. Were the outbox to
 * take its row lock (the waiting job it merges into) before the append lock, a transaction whose
 * first append is a notification event would hold that row and wait for the lock, while the
 * multi-append one holds the lock and waits for the row: a deadlock, and one change rolled back.
 */
describe.each(testDialects().filter((d) => d === 'postgres'))('outbox lock order on %s', (d) => {
  let db: TestDb;
  let n: Notifier;
  let receiver: Receiver;

  beforeEach(async () => {
    db = await freshDb(d);
    receiver = await startReceiver();
    n = await startNotifier(db, {
      // A long window: the message stays a waiting job that every later event merges into.
      settings: {
        allowedPrivateTargets: [`127.0.0.1:${receiver.port}`],
        notificationGroupSeconds: 600,
      },
    });
  });
  afterEach(async () => {
    await n.stop();
    await receiver.close();
    await db.cleanup();
  });

  it('a second append in one transaction and another transaction merging into the same job do not deadlock', async () => {
    const created = await n.call('POST', '/api/notifications', {
      name: 'hook',
      type: 'webhook',
      url: receiver.url,
      events: ['provider.offline'],
    });
    expect(created.status, created.text).toBe(201);
    const offline = { provider: 'slskd', message: 'slskd is offline' };
    await n.append([{ type: 'provider.offline', payload: offline }]);

    let holdsLock: () => void = () => undefined;
    const locked = new Promise<void>((r) => (holdsLock = r));
    let go: () => void = () => undefined;
    const gate = new Promise<void>((r) => (go = r));
    // The multi-append transaction: its first event takes the append lock, the second merges.
    const first = db.writeTx(async (tx) => {
      await n.events.append(tx, 'provider.health', { provider: 'slskd', state: 'down' });
      holdsLock();
      await gate;
      await n.events.append(tx, 'provider.offline', offline);
    });
    await locked;
    let pid: number | null = null;
    const second = db.writeTx(async (tx) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx);
      pid = Number(rows[0]!.pid);
      await n.events.append(tx, 'provider.offline', offline);
    });
    // The second transaction is waiting (for the append lock, and before the fix with the job's
    // row already locked); only then does the first go on to its second append.
    await waitUntil(
      async () =>
        pid !== null &&
        (await sql`SELECT 1 FROM pg_locks WHERE pid = ${pid} AND NOT granted`.execute(db.db)).rows
          .length > 0,
      { what: 'the second transaction to wait for a lock' },
    );
    go();
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'committed' : String(r.reason)))).toEqual(
      ['committed', 'committed'],
    );
    // All three events are in the one waiting message.
    const { rows } = await sql<{ count: number }>`SELECT COUNT(*)::int AS count
      FROM notification_items`.execute(db.db);
    expect(rows[0]!.count).toBe(3);
    const jobs = await n.notifications.jobs.counts();
    expect(jobs.filter((j) => j.task === 'notify.deliver')).toEqual([
      { task: 'notify.deliver', state: 'queued', count: 1 },
    ]);
  });
});
