// The stall deadline of a followed transfer is judged on what the transfer list says, never on a
// timer's wake-up alone. A process just started on a loaded machine (after a kill -9) can lag so
// that its first wait outlasts the deadline before the monitor has read the list once: that used
// to fail a healthy source with queue_timeout "No progress for 1 s ()", and the new round then
// enqueued every source again (test/e2e/robustness-crash.test.ts, "enqueues no source more than it
// should"). Real database (both dialects); the daemon is a list the test hands out cycle by cycle.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { pipelineConfig, JobContext, type PipelineDeps } from '../src/downloads/download.job.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createTransferMonitor, type TransferMonitor } from '../src/downloads/transfer-monitor.js';
import { transferStep } from '../src/downloads/transfer.step.js';
import { createEventBus } from '../src/events/event-bus.js';
import { createEventLog } from '../src/events/event-log.js';
import type { DownloadProvider, TransferStatus } from '../src/providers/provider.js';
import { createQueueRepository } from '../src/queue/queue.repository.js';
import { createSourceWaitRepository } from '../src/queue/source-wait.repository.js';
import { defaultSettings } from '../src/settings/settings.definitions.js';
import { downloadRow } from './helpers/factories.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const STALL_SECONDS = 1;
const FILE = '@@peer\\Music\\A\\01 - Song.flac';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDialects())('stall deadline of a followed transfer on %s', (dialect) => {
  let db: TestDb;
  let now: number;
  let monitor: TransferMonitor | undefined;
  /** Resolves once the worker watches its transfer (list reads before that reach nobody). */
  let watching: Promise<void>;
  /** What the daemon lists at the next monitor cycle, and the cancels it was asked for. */
  let list: TransferStatus[];
  let cancels: string[];

  beforeEach(async () => {
    db = await freshDb(dialect);
    now = 1_800_000_000_000;
    cancels = [];
  });
  afterEach(async () => {
    monitor?.stop();
    await db.cleanup();
  });

  const provider = new Proxy({} as DownloadProvider, {
    get: (_t, name) => {
      if (name === 'name') return 'slskd';
      if (name === 'listTransfers') return () => Promise.resolve(list);
      if (name === 'queuePosition') return () => Promise.resolve(null);
      if (name === 'forget') return () => Promise.resolve();
      if (name === 'cancel')
        return (_user: string, id: string) => (cancels.push(id), Promise.resolve());
      return () => Promise.reject(new Error(`not used: ${String(name)}`));
    },
  });

  const transfer = (o: Partial<TransferStatus> = {}): TransferStatus => ({
    id: 't1',
    username: 'peer',
    filename: FILE,
    size: 1000,
    state: 'queued_remotely',
    raw: 'Queued, Remotely',
    bytesTransferred: 0,
    averageSpeed: 0,
    percentComplete: 0,
    ...o,
  });

  /** A claimed `queued` download whose current attempt is enqueued as transfer t1. */
  async function following(): Promise<JobContext> {
    const config = loadConfig({
      SOULSPOT_DATA_DIR: path.join(tmpdir(), 'soulspot-unused'),
      SOULSPOT_LOG_LEVEL: 'silent',
      // The worker's own wait between list reads is two poll intervals: short, so it wakes often.
      SOULSPOT_POLL_INTERVAL_MS: '50',
    });
    const settings = { ...defaultSettings(config), stallTimeoutSeconds: STALL_SECONDS };
    // No cycle of its own (an hour): the test decides when the list is read.
    const real = createTransferMonitor({ provider, pollIntervalMs: 3_600_000 });
    let watched: () => void = () => undefined;
    watching = new Promise((resolve) => (watched = resolve));
    monitor = {
      ...real,
      watch: (id, listener) => {
        const unwatch = real.watch(id, listener);
        watched();
        return unwatch;
      },
    };
    const deps: PipelineDeps = {
      config: pipelineConfig(config),
      settings: { get: (key) => settings[key] },
      handle: db,
      repo: createDownloadRepository(db),
      queue: createQueueRepository(db),
      sourceWait: createSourceWaitRepository(db),
      provider,
      monitor,
      events: createEventLog({ handle: db, now: () => now, pollMs: 0 }),
      bus: createEventBus(),
      log: silent,
      now: () => now,
      deferMs: 1000,
    };
    const row = downloadRow({ status: 'queued', run_after: 0 });
    await db.db.insertInto('downloads').values(row).execute();
    const attemptId = randomUUID();
    await db.db
      .insertInto('attempts')
      .values({
        id: attemptId,
        download_id: row.id,
        round: 0,
        provider: 'slskd',
        username: 'peer',
        filename: FILE,
        size: 1000,
        extension: 'flac',
        batch_id: randomUUID(),
        transfer_id: 't1',
        state: 'enqueued',
        requeues: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db.db
      .updateTable('downloads')
      .set({ current_attempt_id: attemptId })
      .where('id', '=', row.id)
      .execute();
    const lease = await deps.queue.claimNext('worker-a', now, 30_000, 10);
    if (!lease) throw new Error('nothing to claim');
    const current = await deps.repo.get(lease.downloadId);
    return new JobContext(deps, lease, current!, new AbortController().signal);
  }

  it('a wake-up past the deadline before any list read is no stall', async () => {
    const ctx = await following();
    list = [transfer()];
    const step = transferStep(ctx);
    await watching;
    // The clock passes the deadline while the monitor has read nothing (a lagging event loop);
    // the worker's 100 ms timer fires several times before this sleep ends.
    now += (STALL_SECONDS + 1) * 1000;
    await sleep(500);
    expect(cancels).toEqual([]);

    // The first read finds it done: it is filed from this source, in this round.
    list = [transfer({ state: 'succeeded', raw: 'Completed, Succeeded', bytesTransferred: 1000 })];
    await monitor!.runCycle();
    expect(await step).toBe(true);
    expect(cancels).toEqual([]);
    const attempts = await ctx.deps.repo.attemptsFor([ctx.row.id]);
    expect(attempts.map((a) => a.state)).toEqual(['succeeded']);
    const row = await ctx.deps.repo.get(ctx.row.id);
    expect({ status: row?.status, retry: row?.retry_count }).toEqual({
      status: 'processing',
      retry: 0,
    });
  });

  it('a list read that shows no change past the deadline still stalls', async () => {
    const ctx = await following();
    list = [transfer()];
    const step = transferStep(ctx);
    await watching;
    await monitor!.runCycle();
    await sleep(200); // the worker takes in that read (its state is new: the deadline restarts)
    now += (STALL_SECONDS + 1) * 1000;
    await monitor!.runCycle();
    // Cancelled at the daemon, the source failed; with no other candidate a retry is scheduled.
    expect(await step).toBe(false);
    expect(cancels).toEqual(['t1']);
    const attempts = await ctx.deps.repo.attemptsFor([ctx.row.id]);
    expect(attempts.map((a) => [a.state, a.error_code])).toEqual([['failed', 'queue_timeout']]);
    expect(attempts[0]!.error_message).toBe('No progress for 1 s (queued_remotely)');
  });
});
