import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQueueRepository, type Lease } from '../src/queue/queue.repository.js';
import { createRunner } from '../src/queue/runner.js';
import { createRetryWakeRepository } from '../src/queue/retry-wake.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';
import { waitUntil } from './helpers/wait.js';

/**
 * A job whose last write gave its lease back (filed, parked, failed) no longer holds a runner slot
 * while it tidies up (slskd's copy, its transfer record): the next download is claimed right after
 * that commit, not at the job's end.
 */
describe.each(testDialects())('runner slots on %s', (dialect) => {
  let db: TestDb;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await db.cleanup();
  });

  it('claims the next download once a job has released its lease, before the job ends', async () => {
    const first = downloadRow({ created_at: 1, run_after: 0 });
    const second = downloadRow({ created_at: 2, run_after: 0 });
    await db.db.insertInto('downloads').values([first, second]).execute();
    const queue = createQueueRepository(db);
    const started: string[] = [];
    let finishTidying!: () => void;
    const tidying = new Promise<void>((resolve) => (finishTidying = resolve));
    const runner = createRunner({
      queue,
      owner: 'w1',
      maxConcurrent: () => 1,
      maxConcurrentFiling: () => 1,
      leaseMs: 30_000,
      // Long: only a wake-up can start the second job within the test's wait.
      idleMs: 60_000,
      now: Date.now,
      run: async (lease: Lease, _signal, released) => {
        started.push(lease.downloadId);
        if (lease.downloadId !== first.id) return;
        // The job's last write: the lease is given back, committed.
        await queue.release(lease, { status: 'completed' });
        released();
        // Tidying up after the release, which takes a while.
        await tidying;
      },
      onError: (error) => {
        throw error;
      },
      wakeRetries: (t) => createRetryWakeRepository(db).wakeRetries(t),
    });
    stop = async () => {
      finishTidying();
      await runner.stop();
    };
    await runner.start();
    await waitUntil(() => (started.length === 2 ? started : null), {
      what: 'the second download claimed while the first job tidies up',
      timeoutMs: 20_000,
    });
    expect(started).toEqual([first.id, second.id]);
    // Only the second job counts against the limit: the first holds no lease.
    expect(runner.activeCount).toBeLessThanOrEqual(1);
  });

  it('keeps the slot of a job that has not released its lease', async () => {
    const first = downloadRow({ created_at: 1, run_after: 0 });
    const second = downloadRow({ created_at: 2, run_after: 0 });
    await db.db.insertInto('downloads').values([first, second]).execute();
    const queue = createQueueRepository(db);
    const started: string[] = [];
    let finish!: () => void;
    const working = new Promise<void>((resolve) => (finish = resolve));
    const runner = createRunner({
      queue,
      owner: 'w1',
      maxConcurrent: () => 1,
      maxConcurrentFiling: () => 1,
      leaseMs: 30_000,
      idleMs: 50,
      now: Date.now,
      run: async (lease: Lease) => {
        started.push(lease.downloadId);
        if (lease.downloadId !== first.id) return;
        await working;
        await queue.release(lease, { status: 'completed' });
      },
      onError: (error) => {
        throw error;
      },
      wakeRetries: (t) => createRetryWakeRepository(db).wakeRetries(t),
    });
    stop = async () => {
      finish();
      await runner.stop();
    };
    await runner.start();
    await waitUntil(() => (started.length === 1 ? true : null), { what: 'the first claim' });
    // Several idle looks later the limit still holds the second back.
    await new Promise((r) => setTimeout(r, 300));
    expect(started).toEqual([first.id]);
    expect(runner.activeCount).toBe(1);
    finish();
    await waitUntil(() => (started.length === 2 ? true : null), { what: 'the second claim' });
  });

  it('starts a retry when its backoff ends: sleeps until then, wakes it, claims it', async () => {
    const at = Date.now() + 400;
    const row = downloadRow({ run_after: at, next_retry_at: at, retry_count: 1 });
    await db.db.insertInto('downloads').values(row).execute();
    const queue = createQueueRepository(db);
    const started: Array<{ id: string; at: number }> = [];
    const runner = createRunner({
      queue,
      owner: 'w1',
      maxConcurrent: () => 1,
      maxConcurrentFiling: () => 1,
      leaseMs: 30_000,
      // Long: only the sleep until the retry's time can start it within the test's wait.
      idleMs: 60_000,
      now: Date.now,
      run: async (lease: Lease) => {
        started.push({ id: lease.downloadId, at: Date.now() });
        await queue.release(lease, { status: 'completed' });
      },
      onError: (error) => {
        throw error;
      },
      wakeRetries: (t) => createRetryWakeRepository(db).wakeRetries(t),
    });
    stop = () => runner.stop();
    await runner.start();
    const first = await waitUntil(() => started[0] ?? null, {
      what: 'the retry claimed',
      timeoutMs: 5_000,
    });
    expect(first.id).toBe(row.id);
    expect(first.at).toBeGreaterThanOrEqual(at);
    expect(first.at - at).toBeLessThan(1_000);
  });

  it('a retry due between the wake and the sleep is looked for at once, not after idleMs', async () => {
    // A clock that moves on during each wake: the retry falls due after the wake looked.
    const T = 1_800_000_000_000;
    let clock = T;
    const row = downloadRow({ run_after: T + 50, next_retry_at: T + 50, retry_count: 1 });
    await db.db.insertInto('downloads').values(row).execute();
    const queue = createQueueRepository(db);
    const retries = createRetryWakeRepository(db);
    const started: string[] = [];
    const runner = createRunner({
      queue,
      owner: 'w1',
      maxConcurrent: () => 1,
      maxConcurrentFiling: () => 1,
      leaseMs: 30_000,
      idleMs: 60_000,
      now: () => clock,
      run: async (lease: Lease) => {
        started.push(lease.downloadId);
        await queue.release(lease, { status: 'completed' });
      },
      onError: (error) => {
        throw error;
      },
      wakeRetries: async (t) => {
        const woken = await retries.wakeRetries(t);
        clock += 100;
        return woken;
      },
    });
    stop = () => runner.stop();
    await runner.start();
    await waitUntil(() => (started.length === 1 ? true : null), {
      what: 'the retry claimed long before idleMs',
      timeoutMs: 5_000,
    });
    expect(started).toEqual([row.id]);
  });

  it('a wake that fails is reported without looping, and due work still starts', async () => {
    const past = Date.now() - 1_000;
    const asleep = downloadRow({ run_after: past, next_retry_at: past, retry_count: 1 });
    const due = downloadRow({ run_after: 0 });
    await db.db.insertInto('downloads').values([asleep, due]).execute();
    const queue = createQueueRepository(db);
    const started: string[] = [];
    const errors: unknown[] = [];
    let wakes = 0;
    const runner = createRunner({
      queue,
      owner: 'w1',
      maxConcurrent: () => 2,
      maxConcurrentFiling: () => 1,
      leaseMs: 30_000,
      idleMs: 200,
      now: Date.now,
      run: async (lease: Lease) => {
        started.push(lease.downloadId);
        await queue.release(lease, { status: 'completed' });
      },
      onError: (error) => errors.push(error),
      wakeRetries: () => {
        wakes++;
        return Promise.reject(new Error('database is read-only'));
      },
    });
    stop = () => runner.stop();
    await runner.start();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(started).toEqual([due.id]);
    // About one look per idleMs (a 10 ms loop would have made ~100), each failure reported.
    expect(wakes).toBeGreaterThanOrEqual(2);
    expect(wakes).toBeLessThanOrEqual(10);
    expect(errors.length).toBe(wakes);
    expect(String(errors[0])).toContain('read-only');
  });
});
