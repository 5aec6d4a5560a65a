import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type TaskDefinition } from '../src/jobs/job-runner.js';
import { createJobsRepository, type JobsRepository } from '../src/jobs/jobs.repository.js';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { sleep, waitUntil } from './helpers/wait.js';

const T = 'test.task';

describe.each(testDialects())('the generic job table on %s', (dialect) => {
  let db: TestDb;
  let repo: JobsRepository;
  beforeEach(async () => {
    db = await freshDb(dialect);
    repo = createJobsRepository(db);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const add = (key?: string, runAfter = 0, maxAttempts = 3) =>
    db.writeTx((tx) =>
      repo.enqueue(
        tx,
        { task: T, payload: { key }, runAfter, maxAttempts, ...(key ? { uniqueKey: key } : {}) },
        1,
      ),
    );

  it('merges into a waiting job by its unique key, never into a started one', async () => {
    const a = await add('k');
    expect(await add('k')).toBe(a);
    const claimed = await repo.claim('w1', 10, 1000, [T]);
    expect(claimed?.id).toBe(a);
    expect(claimed?.attempts).toBe(1);
    // The claim cleared the key: the next event starts a new job.
    const b = await add('k');
    expect(b).not.toBe(a);
    expect(await add('k')).toBe(b);
  });

  it('claims due jobs only, in run_after order, and skips other tasks', async () => {
    await add(undefined, 500);
    const early = await add(undefined, 100);
    expect(await repo.claim('w', 50, 1000, [T])).toBeNull();
    expect(await repo.claim('w', 200, 1000, ['other'])).toBeNull();
    expect((await repo.claim('w', 200, 1000, [T]))?.id).toBe(early);
    expect(await repo.claim('w', 200, 1000, [T])).toBeNull();
    expect(await repo.nextWakeAt(200)).toBe(500);
  });

  it("fences results: a lapsed worker's late result is discarded once another has claimed", async () => {
    const id = await add();
    const first = await repo.claim('w1', 10, 100, [T]);
    expect(first).not.toBeNull();
    // The lease expires; a second worker takes the job over.
    const second = await repo.claim('w2', 200, 100, [T]);
    expect(second?.id).toBe(id);
    expect(await db.writeTx((tx) => repo.complete(tx, first!.lease))).toBe(false);
    expect(await repo.renew(first!.lease, 210, 100)).toBe(false);
    expect(
      await db.writeTx((tx) =>
        repo.fail(tx, first!.lease, { error: 'late', runAfter: 0, dead: false }, 210),
      ),
    ).toBe(false);
    expect((await repo.get(id))?.lease_owner).toBe('w2');
    expect(await db.writeTx((tx) => repo.complete(tx, second!.lease))).toBe(true);
    expect(await repo.get(id)).toBeNull();
  });

  it('a failed last attempt leaves the job dead with its error; release gives back the attempt', async () => {
    const id = await add(undefined, 0, 2);
    const a1 = await repo.claim('w', 10, 100, [T]);
    expect(
      await db.writeTx((tx) =>
        repo.fail(tx, a1!.lease, { error: 'HTTP 503', runAfter: 20, dead: false }, 10),
      ),
    ).toBe(true);
    const a2 = await repo.claim('w', 30, 100, [T]);
    expect(a2?.attempts).toBe(2);
    expect(await repo.release(a2!.lease, 31)).toBe(true);
    const a3 = await repo.claim('w', 32, 100, [T]);
    expect(a3?.attempts).toBe(2);
    await db.writeTx((tx) =>
      repo.fail(tx, a3!.lease, { error: 'HTTP 500', runAfter: 40, dead: true }, 33),
    );
    const row = await repo.get(id);
    expect(row?.state).toBe('dead');
    expect(row?.last_error).toBe('HTTP 500');
    expect(await repo.claim('w', 1e12, 100, [T])).toBeNull();
    expect(await repo.counts()).toEqual([{ task: T, state: 'dead', count: 1 }]);
  });

  it('concurrent claimers in separate pools take different jobs', async () => {
    for (let i = 0; i < 40; i++) await add();
    // SQLite: one file, one writer at a time; PostgreSQL: two pools racing with SKIP LOCKED.
    const other: DatabaseHandle =
      dialect === 'postgres'
        ? await openDatabase({
            url: process.env.SOULSPOT_TEST_PG_URL as string,
            pgSchema: db.location.split('search_path%3D')[1] as string,
          })
        : db;
    const otherRepo = createJobsRepository(other);
    const claimAll = async (r: JobsRepository, owner: string) => {
      const got: string[] = [];
      for (;;) {
        const job = await r.claim(owner, 10, 10_000, [T]);
        if (!job) return got;
        got.push(job.id);
      }
    };
    const [a, b] = await Promise.all([claimAll(repo, 'a'), claimAll(otherRepo, 'b')]);
    expect(new Set([...a, ...b]).size).toBe(40);
    expect(a.length + b.length).toBe(40);
    if (other !== db) await other.close();
  });

  it('the runner is woken, retries with its delay, and records a verdict once', async () => {
    const seen: number[] = [];
    const task: TaskDefinition = {
      retryDelayMs: () => 30,
      run: async (job) => {
        seen.push(job.attempts);
        return job.attempts < 3
          ? { kind: 'retry', error: `try ${job.attempts}` }
          : { kind: 'done' };
      },
    };
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: { [T]: task },
      leaseMs: 5_000,
      concurrency: 2,
      now: Date.now,
      log: { warn: () => undefined },
    });
    await runner.start();
    const id = await add(undefined, Date.now(), 5);
    runner.wake();
    await waitUntil(async () => (await repo.get(id)) === null, { what: 'the job to finish' });
    expect(seen).toEqual([1, 2, 3]);
    expect(runner.stats.finished).toBe(3);
    await runner.stop();
  });

  it('the runner sleeps until the next run_after without being woken', async () => {
    let ran = 0;
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: { [T]: { retryDelayMs: () => 0, run: async () => (ran++, { kind: 'done' }) } },
      leaseMs: 5_000,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    await add(undefined, Date.now() + 300);
    await runner.start();
    await sleep(100);
    expect(ran).toBe(0);
    await waitUntil(() => ran === 1, { what: 'the timed job to run' });
    await runner.stop();
  });

  it('does not spin while every slot is busy and due jobs wait (no look until a slot frees)', async () => {
    // Counts the runner's looks at the table: a saturated runner used to re-arm its timer at 5 ms
    // (the due job it could not take is "due now"), a query every 5 ms for as long as it stayed full.
    let looks = 0;
    const counting: JobsRepository = {
      ...repo,
      nextWakeAt: (now: number) => (looks++, repo.nextWakeAt(now)),
    };
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let ran = 0;
    const runner = createJobRunner({
      handle: db,
      repo: counting,
      owner: 'me',
      tasks: {
        [T]: { retryDelayMs: () => 0, run: async () => (ran++, await held, { kind: 'done' }) },
      },
      leaseMs: 60_000,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    await add(undefined, Date.now());
    await add(undefined, Date.now());
    await runner.start();
    await waitUntil(() => ran === 1, { what: 'the first job to start' });
    const before = looks;
    await sleep(400);
    expect(looks - before).toBeLessThanOrEqual(1);
    release();
    await waitUntil(() => ran === 2, { what: 'the second job, once the slot is free' });
    await runner.stop();
  });

  it('stop() records a result that arrived with the abort instead of handing the job back', async () => {
    // A run that had its answer (a 2xx) when the stop came: handing it back would send it again.
    let started = false;
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: {
        [T]: {
          retryDelayMs: () => 0,
          run: (_job, signal) =>
            new Promise((resolve) => {
              started = true;
              signal.addEventListener('abort', () => resolve({ kind: 'done' }));
            }),
        },
      },
      leaseMs: 60_000,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    const id = await add(undefined, Date.now());
    await runner.start();
    await waitUntil(() => started, { what: 'the job to start' });
    await runner.stop();
    expect(await repo.get(id)).toBeNull();
    expect(runner.stats.finished).toBe(1);
  });

  it('stop() hands back a job its abort cut short, without counting the attempt', async () => {
    let started = false;
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: {
        [T]: {
          retryDelayMs: () => 0,
          run: (_job, signal) =>
            new Promise((_resolve, reject) => {
              started = true;
              signal.addEventListener('abort', () => reject(signal.reason as Error));
            }),
        },
      },
      leaseMs: 60_000,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    const id = await add(undefined, Date.now());
    await runner.start();
    await waitUntil(() => started, { what: 'the job to start' });
    await runner.stop();
    const row = await repo.get(id);
    expect(row).toMatchObject({ state: 'queued', lease_owner: null, attempts: 0 });
  });

  it('a lease lost while the job runs aborts it and discards its late result', async () => {
    // Another worker took the job over (its lease lapsed, say, during a long HTTP call): the
    // renewal fails, the run is aborted, and what it returns is not recorded.
    let aborted = false;
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: {
        [T]: {
          retryDelayMs: () => 0,
          run: (_job, signal) =>
            new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve({ kind: 'done' });
              });
            }),
        },
      },
      leaseMs: 300,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    const id = await add(undefined, Date.now());
    await runner.start();
    await waitUntil(async () => (await repo.get(id))?.lease_owner === 'me', { what: 'the claim' });
    await db.db
      .updateTable('jobs')
      .set((eb) => ({ lease_owner: 'other', lease_token: eb('lease_token', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await waitUntil(() => runner.stats.discarded === 1, { what: 'the result discarded' });
    expect(aborted).toBe(true);
    expect(runner.stats.finished).toBe(0);
    expect((await repo.get(id))?.lease_owner).toBe('other');
    await runner.stop();
  });

  it('records a failure whose error text one database would refuse (NUL) instead of re-running it', async () => {
    const runner = createJobRunner({
      handle: db,
      repo,
      owner: 'me',
      tasks: {
        [T]: {
          retryDelayMs: () => 60_000,
          run: async () => ({ kind: 'retry', error: 'bad\u0000answer' }),
        },
      },
      leaseMs: 60_000,
      concurrency: 1,
      now: Date.now,
      log: { warn: () => undefined },
    });
    const id = await add(undefined, Date.now(), 5);
    await runner.start();
    await waitUntil(async () => (await repo.get(id))?.last_error, { what: 'the failure recorded' });
    expect((await repo.get(id))?.last_error).toBe('bad answer');
    await runner.stop();
  });
});
