import type { DatabaseHandle } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { SettingsService } from '../settings/settings.service.js';
import { windowState } from '../queue/time-windows.js';
import { TERMINAL_STATUSES } from './download.js';
import type { AlbumTrackHook, Logger } from './download.job.js';
import {
  createBatchActions,
  type AfterCommit,
  type BatchAction,
  type BatchErrorCode,
  type BatchResult,
} from './queue-batch.js';
import {
  QueueCommandError,
  reorderIn as reorderInTx,
  type ReorderTarget,
} from './queue-reorder.js';
import { createScheduler } from './queue-scheduler.js';
import {
  CHUNK,
  type BatchFilterQuery,
  type QueueControlRepository,
} from './queue-control.repository.js';

export type { BatchAction, BatchErrorCode, BatchResult } from './queue-batch.js';
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

/**
 * Queue-wide commands: order, holds, schedules, batches (queue-batch.ts), the schedule timer
 * (queue-scheduler.ts) and the global pause. Each command is one transaction (a batch: one per chunk
 * of ids) holding the change and its `downloads.changed` event.
 */
export function createQueueControlService(deps: QueueControlDeps) {
  const { control, handle, now, events } = deps;

  const actions = createBatchActions(deps);
  const { closeTransfers, idsMatching } = actions;
  const scheduler = createScheduler(deps);
  const abortAll = (ids: string[]): void => {
    for (const id of ids) deps.runner.abort(id);
  };

  return {
    pause: actions.pause,
    resume: actions.resume,
    cancel: actions.cancel,
    retry: actions.retry,
    setPriority: actions.setPriority,
    remove: actions.remove,

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
      if (change.scheduledAt !== undefined) scheduler.wake();
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
          ...(await control.liveLeases(t)),
          maxConcurrent: s.maxConcurrent,
          maxConcurrentFiling: s.maxConcurrentFiling,
          filingBacklog: await control.filingBacklog(t),
          maxFilingBacklog: s.maxFilingBacklog,
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
    wakeScheduler: scheduler.wake,
    startScheduler: scheduler.start,
    stopScheduler: scheduler.stop,
  };
}

export type QueueControlService = ReturnType<typeof createQueueControlService>;
