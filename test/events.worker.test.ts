// A worker's writes and their events, on a real database (both dialects): each committed write has
// its event in the log the moment it is committed (no bridge, nothing flushed afterwards), a write
// that lost its fence or whose append failed leaves neither row change nor event, and payloads say
// what changed: a progress delta, `changed` on an update, completed/failed once per reach.
import { createRetryWakeRepository } from '../src/queue/retry-wake.repository.js';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { pipelineConfig, JobContext, type PipelineDeps } from '../src/downloads/download.job.js';
import { createDownloadRepository, type AttemptRow } from '../src/downloads/download.repository.js';
import type { DownloadProgress, DownloadUpdate } from '../src/downloads/download.dto.js';
import { createTransferMonitor } from '../src/downloads/transfer-monitor.js';
import { createEventBus } from '../src/events/event-bus.js';
import { createEventLog } from '../src/events/event-log.js';
import type { DownloadProvider } from '../src/providers/provider.js';
import { createQueueRepository, LeaseLostError } from '../src/queue/queue.repository.js';
import { createSourceWaitRepository } from '../src/queue/source-wait.repository.js';
import { defaultSettings } from '../src/settings/settings.definitions.js';
import { downloadRow } from './helpers/factories.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** The writes tested here never reach the daemon. */
const noDaemon = new Proxy({} as DownloadProvider, {
  get: (_t, name) => (name === 'name' ? 'slskd' : () => Promise.reject(new Error('not used'))),
});

interface Logged {
  id: number;
  type: string;
  payload: Record<string, unknown>;
}

describe.each(testDialects())('worker events on %s', (dialect) => {
  let db: TestDb;
  let now: number;

  beforeEach(async () => {
    db = await freshDb(dialect);
    now = 1_800_000_000_000;
  });
  afterEach(async () => {
    await db.cleanup();
  });

  function deps(): PipelineDeps {
    const config = loadConfig({
      SOULSPOT_DATA_DIR: path.join(tmpdir(), 'soulspot-unused'),
      SOULSPOT_LOG_LEVEL: 'silent',
    });
    const settings = defaultSettings(config);
    return {
      config: pipelineConfig(config),
      settings: { get: (key) => settings[key] },
      handle: db,
      repo: createDownloadRepository(db),
      queue: createQueueRepository(db),
      sourceWait: createSourceWaitRepository(db),
      provider: noDaemon,
      monitor: createTransferMonitor({ provider: noDaemon, pollIntervalMs: 1000 }),
      // Not started: nothing tails the log, so what is in the table got there in the write itself.
      events: createEventLog({ handle: db, now: () => now, pollMs: 0 }),
      bus: createEventBus(),
      log: silent,
      now: () => now,
      deferMs: 1000,
    };
  }

  /** A claimed download in `status`, and its worker context. */
  async function claimed(status: string): Promise<JobContext> {
    const row = downloadRow({ status, run_after: 0 });
    await db.db.insertInto('downloads').values(row).execute();
    const d = deps();
    const lease = await d.queue.claimNext('worker-a', now, 30_000, 10);
    if (!lease) throw new Error('nothing to claim');
    const current = await d.repo.get(lease.downloadId);
    return new JobContext(d, lease, current!, new AbortController().signal);
  }

  const logged = async (): Promise<Logged[]> =>
    (await db.db.selectFrom('events').selectAll().orderBy('id').execute()).map((r) => ({
      id: Number(r.id),
      type: r.type,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));

  it('a priority or position changed from the API meanwhile is not reverted by the next worker event', async () => {
    const ctx = await claimed('queued');
    // PATCH priority / batch set_priority while the worker runs: no token bump, the worker goes on.
    const fromApi = async (priority: number, position: string) =>
      db.db
        .updateTable('downloads')
        .set({ priority, position, updated_at: now + 1 })
        .where('id', '=', ctx.row.id)
        .execute();
    const lastUpdate = async () =>
      (await logged()).filter((e) => e.type === 'download.updated').at(-1)!
        .payload as DownloadUpdate;

    await fromApi(7, 'k42');
    now += 1000;
    await ctx.save({ progress: 10, bytes_transferred: 100 }, 'start_transfer');
    expect((await lastUpdate()).priority).toBe(7);
    expect(ctx.row.priority).toBe(7);
    expect(ctx.row.position).toBe('k42');

    await fromApi(3, 'k43');
    now += 1000;
    await ctx.release({ run_after: now + 5000, queue_position: null }, 'search');
    const released = await lastUpdate();
    expect(released.priority).toBe(3);
    expect(ctx.row.position).toBe('k43');
    const stored = await ctx.deps.repo.get(ctx.row.id);
    expect(stored!.priority).toBe(3);
  });

  it('each committed write has its event at once, in write order, with what changed', async () => {
    const ctx = await claimed('queued');
    const onBus: string[] = [];
    ctx.deps.bus.on('download.updated', (d) => onBus.push(d.status));

    now += 1000;
    await ctx.save(
      { progress: 10, bytes_transferred: 100, queue_position: null },
      'start_transfer',
    );
    let events = await logged();
    expect(events.map((e) => e.type)).toEqual(['download.updated']);
    const started = events[0]!.payload as DownloadUpdate;
    expect(started).toMatchObject({ id: ctx.row.id, status: 'downloading', progress: 10 });
    expect(started.changed).toEqual(['status', 'progress', 'bytesTransferred']);

    // Only the numbers move: a compact delta, not the whole Download.
    now += 1000;
    await ctx.save({ progress: 20, bytes_transferred: 200 }, undefined, { speed: 5000 });
    events = await logged();
    expect(events.map((e) => e.type)).toEqual(['download.updated', 'download.progress']);
    expect(events[1]!.payload as unknown as DownloadProgress).toEqual({
      id: ctx.row.id,
      progress: 20,
      bytesTransferred: 200,
      queuePosition: null,
      updatedAt: new Date(now).toISOString(),
      speed: 5000,
    });

    // A write that changes nothing a client sees (only updatedAt) announces nothing.
    now += 1000;
    await ctx.save({ progress: 20 });
    expect(await logged()).toHaveLength(2);

    // Reaching `processing`, then `completed`: the second write also says download.completed.
    await ctx.save({ progress: 100, bytes_transferred: 1000 }, 'transfer_done');
    await ctx.release({ library_path: '/lib/a.flac', completed_at: now }, 'file');
    events = await logged();
    expect(events.map((e) => e.type)).toEqual([
      'download.updated',
      'download.progress',
      'download.updated',
      'download.updated',
      'download.completed',
    ]);
    expect((events[3]!.payload as DownloadUpdate).changed).toEqual([
      'status',
      'libraryPath',
      'completedAt',
    ]);
    expect(events[4]!.payload).toMatchObject({ status: 'completed', libraryPath: '/lib/a.flac' });
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // In-process listeners still get every announced change as the whole Download.
    expect(onBus).toEqual(['downloading', 'downloading', 'processing', 'completed']);
  });

  it('a write that lost its fence leaves no event, and neither does one whose append failed', async () => {
    const ctx = await claimed('downloading');
    await ctx.save({ progress: 5, bytes_transferred: 50 });
    expect(await logged()).toHaveLength(1);

    // The event insert fails: the fenced write it belongs to is rolled back with it.
    await failEventInserts();
    await expect(ctx.save({ progress: 50, bytes_transferred: 500 })).rejects.toThrow(
      'no events today',
    );
    expect((await ctx.deps.repo.get(ctx.row.id))?.bytes_transferred).toBe(50);
    await sql`DROP TRIGGER no_events ${sql.raw(dialect === 'postgres' ? 'ON events' : '')}`.execute(
      db.db,
    );

    // A command took the download (the token moved on): the worker's write and event both fail.
    await db.db
      .updateTable('downloads')
      .set((eb) => ({ lease_token: eb('lease_token', '+', 1) }))
      .where('id', '=', ctx.row.id)
      .execute();
    await expect(ctx.save({ progress: 60, bytes_transferred: 600 })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await expect(ctx.release({}, 'fail')).rejects.toBeInstanceOf(LeaseLostError);
    expect((await logged()).map((e) => e.type)).toEqual(['download.progress']);
    expect((await ctx.deps.repo.get(ctx.row.id))?.status).toBe('downloading');
  });

  it('a retry round announces no failure; the final failure is announced once', async () => {
    const ctx = await claimed('searching');
    await ctx.retryLater('no_results', 'No usable source found');
    const again = await claimedAgain(ctx);
    await again.retryLater('no_results', 'No usable source found');
    const third = await claimedAgain(again);
    // Retries used up (max_retries 3 counts rounds 1–3): a fourth round fails for good.
    third.row = { ...third.row, retry_count: third.row.max_retries };
    await third.retryLater('no_results', 'Nothing, again');
    const events = await logged();
    expect(events.filter((e) => e.type === 'download.failed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'download.completed')).toHaveLength(0);
    expect(events.map((e) => `${e.type} ${String(e.payload.status)}`)).toEqual([
      'download.updated waiting',
      'download.updated waiting',
      'download.updated failed',
      'download.failed failed',
    ]);
    expect((events[0]!.payload as DownloadUpdate).changed).toEqual(
      expect.arrayContaining(['status', 'retryCount', 'nextRetryAt', 'errorCode']),
    );
  });

  /** An enqueued attempt for the claimed download, its current one. */
  async function withAttempt(ctx: JobContext): Promise<AttemptRow> {
    const attempt: AttemptRow = {
      id: randomUUID(),
      download_id: ctx.row.id,
      round: 0,
      provider: 'slskd',
      username: 'peer',
      filename: '@@p\\Music\\a.flac',
      size: 1000,
      release: null,
      extension: 'flac',
      bit_rate: null,
      sample_rate: null,
      bit_depth: null,
      length_seconds: null,
      batch_id: randomUUID(),
      transfer_id: randomUUID(),
      state: 'enqueued',
      error_code: null,
      error_message: null,
      local_path: null,
      target_path: null,
      requeues: 0,
      transfer_speed: null,
      post_step: null,
      post_digest: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
      transcode_check: null,
      suspect_transcode: null,
      transcode_cutoff_hz: null,
    };
    await ctx.deps.repo.insertAttempt(attempt, db.db);
    await ctx.deps.queue.fencedUpdate(ctx.lease, { current_attempt_id: attempt.id });
    ctx.row = (await ctx.deps.repo.get(ctx.row.id))!;
    return attempt;
  }

  it("a finished transfer's attempt success and transfer_done are one commit, one event", async () => {
    const ctx = await claimed('downloading');
    const attempt = await withAttempt(ctx);
    now += 1000;
    await ctx.finishAttempt(
      attempt,
      { state: 'succeeded' },
      { bytesTransferred: 1000, averageSpeed: 500 },
      {
        patch: { progress: 100, bytes_transferred: 1000, queue_position: null },
        event: 'transfer_done',
      },
    );
    const events = await logged();
    expect(events.map((e) => e.type)).toEqual(['download.updated']);
    const update = events[0]!.payload as DownloadUpdate;
    expect(update.status).toBe('processing');
    expect(update.attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    expect(update.changed).toEqual(expect.arrayContaining(['status', 'attempts']));
    expect((await ctx.deps.repo.getAttempt(attempt.id))?.state).toBe('succeeded');
  });

  it('a transfer end whose event cannot be appended writes neither the attempt nor the status', async () => {
    const ctx = await claimed('downloading');
    const attempt = await withAttempt(ctx);
    await failEventInserts();
    await expect(
      ctx.finishAttempt(attempt, { state: 'succeeded' }, undefined, {
        patch: { progress: 100 },
        event: 'transfer_done',
      }),
    ).rejects.toThrow('no events today');
    // One transaction: the attempt's success rolled back with the status it belongs to.
    expect((await ctx.deps.repo.getAttempt(attempt.id))?.state).toBe('enqueued');
    expect((await ctx.deps.repo.get(ctx.row.id))?.status).toBe('downloading');
  });

  it('tells the runner once the write that gives the lease back has committed', async () => {
    const row = downloadRow({ status: 'processing', run_after: 0 });
    await db.db.insertInto('downloads').values(row).execute();
    const d = deps();
    // A processing row is filed from a filing slot.
    const lease = (await d.queue.claimNext('worker-a', now, 30_000, 10, 'filing'))!;
    const released: string[] = [];
    const ctx = new JobContext(
      d,
      lease,
      (await d.repo.get(lease.downloadId))!,
      new AbortController().signal,
      () => released.push((ctx.row.lease_owner ?? 'none') + ' ' + ctx.row.status),
    );
    await ctx.save({ progress: 100 });
    expect(released).toEqual([]);
    await ctx.release({ library_path: '/lib/a.flac', completed_at: now }, 'file');
    // Called after the commit: the row it sees is the released one.
    expect(released).toEqual(['none completed']);
    const stored = await d.repo.get(row.id);
    expect(stored?.lease_owner).toBeNull();
  });

  /** The next claim of the same download, once its retry time has come. */
  async function claimedAgain(ctx: JobContext): Promise<JobContext> {
    now = (ctx.row.run_after ?? now) + 1;
    // As the runner's round does: the retry rejoins the claim's order, then it is claimed.
    await createRetryWakeRepository(db).wakeRetries(now);
    const lease = await ctx.deps.queue.claimNext('worker-b', now, 30_000, 10);
    if (!lease) throw new Error('not due');
    await ctx.deps.queue.fencedUpdate(lease, { status: 'searching' });
    const row = await ctx.deps.repo.get(lease.downloadId);
    return new JobContext(ctx.deps, lease, row!, new AbortController().signal);
  }

  /** Real faults from the database: every insert into the event log fails. */
  async function failEventInserts(): Promise<void> {
    if (dialect === 'postgres') {
      await sql`CREATE FUNCTION no_events() RETURNS trigger AS $$ BEGIN
          RAISE EXCEPTION 'no events today'; END $$ LANGUAGE plpgsql`.execute(db.db);
      await sql`CREATE TRIGGER no_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION no_events()`.execute(
        db.db,
      );
      return;
    }
    await sql`CREATE TRIGGER no_events BEFORE INSERT ON events
      BEGIN SELECT RAISE(ABORT, 'no events today'); END`.execute(db.db);
  }
});
