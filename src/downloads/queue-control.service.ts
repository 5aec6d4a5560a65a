import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { SettingsService } from '../settings/settings.service.js';
import { windowState } from '../queue/time-windows.js';
import { TERMINAL_STATUSES } from './download.js';
import type { AlbumTrackHook, Logger } from './download.job.js';
import {
  QueueCommandError,
  reorderIn as reorderInTx,
  type ReorderTarget,
} from './queue-reorder.js';
import {
  CHUNK,
  type BatchFilterQuery,
  type QueueControlRepository,
} from './queue-control.repository.js';

/** What a batch did: every id is either a success or an error saying why not. */
export interface BatchResult {
  successCount: number;
  failedCount: number;
  errors: { id: string; code: BatchErrorCode; message: string }[];
}

export type BatchErrorCode = 'not_found' | 'conflict' | 'duplicate_active';
export type BatchAction = 'cancel' | 'retry' | 'set_priority' | 'pause' | 'resume' | 'remove';
export { QueueCommandError, type ReorderTarget } from './queue-reorder.js';

/** A single-download command refused as a whole (the route answers 404 or 409). */
export class PatchRefusedError extends Error {
  constructor(
    readonly code: BatchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PatchRefusedError';
  }
}

export interface QueueControlDeps {
  handle: DatabaseHandle;
  control: QueueControlRepository;
  settings: SettingsService;
  events: Pick<EventLog, 'append' | 'wake'>;
  now: () => number;
  log: Logger;
  runner: { wake(): void; abort(id: string): void };
  /**
   * Closed attempts leave their transfers at slskd to the orphan sweep (orphan-sweep.ts), which
   * cancels them now or once slskd is reachable: a command never waits on slskd.
   */
  sweepTransfers(): void;
  /** Batches that change album tracks' statuses announce their albums too (src/albums). */
  albums?: Pick<AlbumTrackHook, 'albumsOf' | 'albumsChanged'>;
}

/** Set inside a transaction that closed attempts: their transfers are swept once it has committed. */
interface AfterCommit {
  sweep: boolean;
}

type Work = (
  chunk: string[],
  tx: Db,
  after: AfterCommit,
) => Promise<{ done: string[]; errors?: BatchResult['errors'] }>;

/**
 * Queue-wide commands: order, holds, schedules, batches and the global pause. Each chunk of ids
 * is one transaction holding the change and its `downloads.changed` event, so 10,000 ids are
 * twenty short commits and a crash loses no half-applied chunk.
 */
export function createQueueControlService(deps: QueueControlDeps) {
  const { control, handle, now, events } = deps;

  /** Runs `work` over the ids in chunks; ids it did not touch are explained by `why`. */
  const batch = async (
    action: string,
    ids: string[],
    work: Work,
    why: (row: { status: string; hold: string }) => string,
    /** The action changes statuses (cancel, retry, remove): the tracks' albums are announced. */
    announceAlbums = false,
  ): Promise<BatchResult> => {
    const result: BatchResult = { successCount: 0, failedCount: 0, errors: [] };
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      const after: AfterCommit = { sweep: false };
      const { done, errors = [] } = await handle.writeTx(async (tx) => {
        // Read before the work: a remove deletes the rows that say which album they were on.
        const albumOf =
          announceAlbums && deps.albums ? await deps.albums.albumsOf(tx, chunk) : undefined;
        const out = await work(chunk, tx, after);
        if (out.done.length > 0) {
          const albumIds = albumOf ? out.done.flatMap((id) => albumOf.get(id) ?? []) : [];
          // Album rows are locked before the event log's lock (event-log.ts), as a worker's write does.
          const albumEvents =
            albumIds.length > 0 && deps.albums ? await deps.albums.albumsChanged(tx, albumIds) : [];
          await events.append(tx, 'downloads.changed', { action, ids: out.done });
          for (const e of albumEvents) await events.append(tx, e.type, e.payload);
        }
        return out;
      });
      // Only now do the closed attempts show: a sweep started inside the transaction could read
      // them as still open and leave their transfers running until its next round.
      if (after.sweep) deps.sweepTransfers();
      // Resumed, retried or re-prioritized downloads are claimable from the commit on.
      if (done.length > 0) deps.runner.wake();
      const explained = new Set([...done, ...errors.map((e) => e.id)]);
      const rest = chunk.filter((id) => !explained.has(id));
      const rows = new Map((await control.existing(rest)).map((r) => [r.id, r]));
      result.successCount += done.length;
      result.errors.push(...errors);
      for (const id of rest) {
        const row = rows.get(id);
        result.errors.push(
          row
            ? { id, code: 'conflict', message: why(row) }
            : { id, code: 'not_found', message: `Download ${id} not found` },
        );
      }
    }
    result.failedCount = result.errors.length;
    events.wake();
    return result;
  };

  /** Stops the transfers of downloads taken from their workers (pause, cancel). */
  const closeTransfers = async (
    rows: { current_attempt_id: string | null }[],
    message: string,
    tx: Db,
    after: AfterCommit,
  ): Promise<void> => {
    const attempts = rows.flatMap((r) => (r.current_attempt_id ? [r.current_attempt_id] : []));
    if ((await control.closeInFlight(attempts, message, now(), tx)) > 0) after.sweep = true;
  };

  const abortAll = (ids: string[]): void => {
    for (const id of ids) deps.runner.abort(id);
  };

  const actions = {
    pause: (ids: string[]) =>
      batch(
        'pause',
        ids,
        async (chunk, tx, after) => {
          const held = await control.hold(chunk, 'paused', null, now(), tx);
          // A filing download keeps its file: it resumes filing. Only a transfer is stopped.
          await closeTransfers(
            held.filter((r) => r.status === 'queued' || r.status === 'downloading'),
            'Paused by the user',
            tx,
            after,
          );
          abortAll(held.map((r) => r.id));
          return { done: held.map((r) => r.id) };
        },
        (r) => `Download is ${r.status}; only unfinished downloads can be paused`,
      ),

    resume: (ids: string[]) =>
      batch(
        'resume',
        ids,
        async (chunk, tx) => {
          const released = await control.release(chunk, now(), tx);
          return { done: released.map((r) => r.id) };
        },
        (r) =>
          r.hold === 'none'
            ? 'Download is not paused or scheduled'
            : `Download is ${r.status}; only unfinished downloads can be resumed`,
      ),

    cancel: (ids: string[]) =>
      batch(
        'cancel',
        ids,
        async (chunk, tx, after) => {
          const rows = await control.cancel(chunk, now(), tx);
          await closeTransfers(rows, 'Cancelled by the user', tx, after);
          abortAll(rows.map((r) => r.id));
          return { done: rows.map((r) => r.id) };
        },
        (r) => `Download is ${r.status} and cannot be cancelled`,
        true,
      ),

    retry: (ids: string[]) =>
      batch(
        'retry',
        ids,
        async (chunk, tx) => {
          // One per track: two failed downloads of the same track cannot both become active.
          const seen = new Map<string, string>();
          const errors: BatchResult['errors'] = [];
          for (const { id, dedupe_key } of await control.keys(chunk, tx)) {
            if (seen.has(dedupe_key))
              errors.push({
                id,
                code: 'duplicate_active',
                message: `Download ${seen.get(dedupe_key)} of the same track is retried instead`,
              });
            else seen.set(dedupe_key, id);
          }
          const rows = await control.retry([...seen.values()], now(), tx);
          const done = rows.map((r) => r.id);
          if (done.length > 0) await control.retireAttempts(done, tx);
          const retried = new Set(done);
          for (const id of seen.values()) {
            if (!retried.has(id)) {
              // Either not finished, or another download of the track is active.
              const [row] = await control.existing([id], tx);
              if (row && (TERMINAL_STATUSES as readonly string[]).includes(row.status))
                errors.push({
                  id,
                  code: 'duplicate_active',
                  message: 'Another download of this track is already active',
                });
            }
          }
          return { done, errors };
        },
        (r) => `Download is ${r.status}; only failed or cancelled downloads can be retried`,
        true,
      ),

    setPriority: (ids: string[], priority: number) =>
      batch(
        'set_priority',
        ids,
        async (chunk, tx) => {
          const rows = await control.setPriority(chunk, priority, now(), tx);
          return { done: rows.map((r) => r.id) };
        },
        () => 'unreachable',
      ),

    remove: (ids: string[]) =>
      batch(
        'remove',
        ids,
        async (chunk, tx) => ({
          done: (await control.remove(chunk, TERMINAL_STATUSES, tx)).map((r) => r.id),
        }),
        (r) => `Download is ${r.status}; only finished downloads can be removed (cancel it first)`,
        true,
      ),
  };

  /** The ids a filter matches, all of them, in pages (a batch over "every failed download"). */
  const idsMatching = async (filter: BatchFilterQuery): Promise<string[]> => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await control.matching(filter, after, 5000);
      ids.push(...page.map((r) => r.id));
      if (page.length < 5000) return ids;
      after = page.at(-1)!.id;
    }
  };

  let schedulerTimer: NodeJS.Timeout | null = null;
  let schedulerStopped = true;
  /** Ends due schedules and sleeps until the next one (at most a minute, for other processes' new schedules). */
  const schedule = async (): Promise<void> => {
    if (schedulerStopped) return;
    if (schedulerTimer) clearTimeout(schedulerTimer);
    schedulerTimer = null;
    try {
      // The release and its event in one transaction: committed together or not at all.
      const released = await handle.writeTx(async (tx) => {
        const ids = await control.releaseDueSchedules(now(), tx);
        if (ids.length > 0) {
          await events.append(tx, 'downloads.changed', { action: 'schedule_due', ids });
        }
        return ids;
      });
      if (released.length > 0) {
        events.wake();
        deps.runner.wake();
      }
      const next = await control.nextScheduledAt();
      const wait = next === null ? 60_000 : Math.max(0, Math.min(60_000, next - now()));
      if (!schedulerStopped) {
        schedulerTimer = setTimeout(() => void schedule(), wait);
        schedulerTimer.unref();
      }
    } catch (error) {
      deps.log.warn({ error: String(error) }, 'schedule check failed');
      if (!schedulerStopped) schedulerTimer = setTimeout(() => void schedule(), 5000);
    }
  };

  return {
    ...actions,

    /** One action over explicit ids or every download a filter matches. */
    async batch(
      input: { ids?: string[]; filter?: BatchFilterQuery },
      action: BatchAction,
      priority?: number,
    ): Promise<BatchResult> {
      if ((input.ids === undefined) === (input.filter === undefined))
        throw new QueueCommandError('body: give either ids or filter');
      if (action === 'set_priority' && priority === undefined)
        throw new QueueCommandError('body/priority is required for set_priority');
      const ids = input.ids ?? (await idsMatching(input.filter!));
      switch (action) {
        case 'set_priority':
          return actions.setPriority(ids, priority!);
        default:
          return actions[action](ids);
      }
    },

    /**
     * Puts `ids`, in that order, at the head of the waiting queue, at a 0-based place in it, or
     * right before/after another download. Writes only the moved rows.
     */
    async reorder(ids: string[], target: ReorderTarget): Promise<BatchResult> {
      const result = await handle.writeTx(async (tx) => {
        const out = await reorderInTx(control, now, tx, ids, target);
        if (out.moved.length > 0)
          await events.append(tx, 'downloads.changed', { action: 'reorder', ids: out.moved });
        return out;
      });
      events.wake();
      deps.runner.wake();
      return {
        successCount: result.moved.length,
        failedCount: result.errors.length,
        errors: result.errors,
      };
    },

    /**
     * `PATCH /api/downloads/{id}`: priority, place and schedule of one download in one transaction
     * with one event, so a refused part (a finished download cannot be placed or scheduled) leaves
     * the other parts unapplied too. Ending a schedule (`null`, or a time gone by) on a download
     * that is not scheduled changes nothing and is no error: the state asked for holds already.
     */
    async patch(
      id: string,
      change: { priority?: number; position?: number; scheduledAt?: number | null },
    ): Promise<void> {
      const after: AfterCommit = { sweep: false };
      const t = now();
      const scheduled =
        change.scheduledAt !== undefined && change.scheduledAt !== null && change.scheduledAt > t;
      await handle.writeTx(async (tx) => {
        const [row] = await control.existing([id], tx);
        if (!row) throw new PatchRefusedError('not_found', `Download ${id} not found`);
        if (change.priority !== undefined) await control.setPriority([id], change.priority, t, tx);
        if (change.position !== undefined) {
          const { errors } = await reorderInTx(control, now, tx, [id], { index: change.position });
          if (errors[0]) throw new PatchRefusedError(errors[0].code, errors[0].message);
        }
        if (scheduled) {
          const held = await control.hold([id], 'scheduled', change.scheduledAt!, t, tx);
          if (held.length === 0)
            throw new PatchRefusedError(
              'conflict',
              `Download is ${row.status}; only unfinished downloads can be scheduled`,
            );
          await closeTransfers(
            held.filter((r) => r.status === 'queued' || r.status === 'downloading'),
            'Scheduled for later by the user',
            tx,
            after,
          );
        } else if (change.scheduledAt !== undefined && row.hold === 'scheduled') {
          await control.release([id], t, tx);
        }
        await events.append(tx, 'downloads.changed', { action: 'patch', ids: [id] });
      });
      if (scheduled) deps.runner.abort(id);
      if (after.sweep) deps.sweepTransfers();
      events.wake();
      deps.runner.wake();
      if (change.scheduledAt !== undefined) void schedule();
    },

    /**
     * Pauses the whole queue, for every process and across restarts (the `queuePaused` setting):
     * nothing new starts, searches and transfers stop (their sources enqueue again on resume),
     * filing finishes.
     */
    async pauseAll(): Promise<void> {
      await deps.settings.update({ queuePaused: true });
      const rows = await control.stoppable();
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        const after: AfterCommit = { sweep: false };
        await handle.writeTx(async (tx) => {
          await control.revoke(
            chunk.map((r) => r.id),
            now(),
            tx,
          );
          await closeTransfers(
            chunk.filter((r) => r.status !== 'searching'),
            'The queue was paused',
            tx,
            after,
          );
          await events.append(tx, 'downloads.changed', {
            action: 'pause_all',
            ids: chunk.map((r) => r.id),
          });
        });
        abortAll(chunk.map((r) => r.id));
        if (after.sweep) deps.sweepTransfers();
      }
      events.wake();
    },

    async resumeAll(): Promise<void> {
      await deps.settings.update({ queuePaused: false });
      deps.runner.wake();
    },

    /** Whether the runner may start new work now: not paused, inside a time window. */
    mayStart(): boolean {
      const s = deps.settings.current();
      return !s.queuePaused && windowState(s.timeWindows, s.timeZone, now()).open;
    },

    /** Counts, limits and timers of the queue, as `GET /api/queue` shows them. */
    async overview() {
      const s = deps.settings.current();
      const t = now();
      const byStatus: Record<string, number> = {};
      const byHold: Record<string, number> = { paused: 0, scheduled: 0 };
      for (const r of await control.countsByStatusAndHold()) {
        const n = Number(r.n);
        byStatus[r.status] = (byStatus[r.status] ?? 0) + n;
        const active = !(TERMINAL_STATUSES as readonly string[]).includes(r.status);
        if (active && r.hold !== 'none') byHold[r.hold] = (byHold[r.hold] ?? 0) + n;
      }
      const window = windowState(s.timeWindows, s.timeZone, t);
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      return {
        byStatus,
        byHold,
        paused: s.queuePaused,
        slots: {
          working: await control.liveLeases(t),
          maxConcurrent: s.maxConcurrent,
          queuedAtSource: byStatus.queued ?? 0,
          maxQueuedAtSource: s.maxQueuedAtSource,
          maxConcurrentPerUser: s.maxConcurrentPerUser,
        },
        timeWindows: {
          windows: s.timeWindows,
          timeZone: s.timeZone,
          open: window.open,
          changesAt: iso(window.changesAt),
        },
        nextRetryAt: iso(await control.nextRetryAt(t)),
        nextScheduledAt: iso(await control.nextScheduledAt()),
      };
    },

    /** A schedule was set elsewhere (a download created scheduled): sleep until the earliest. */
    wakeScheduler(): void {
      void schedule();
    },
    startScheduler(): void {
      schedulerStopped = false;
      void schedule();
    },
    stopScheduler(): void {
      schedulerStopped = true;
      if (schedulerTimer) clearTimeout(schedulerTimer);
    },
  };
}

export type QueueControlService = ReturnType<typeof createQueueControlService>;
