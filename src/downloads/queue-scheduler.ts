import type { DatabaseHandle } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { Logger } from './download.job.js';
import type { QueueControlRepository } from './queue-control.repository.js';

export interface SchedulerDeps {
  handle: DatabaseHandle;
  control: QueueControlRepository;
  events: Pick<EventLog, 'append' | 'wake'>;
  now: () => number;
  log: Logger;
  runner: { wake(): void };
}

/**
 * Ends schedules when they are due: a timer set to the earliest `scheduled_at`, not a poll (at most
 * a minute apart, for schedules another process set).
 */
export function createScheduler(deps: SchedulerDeps) {
  const { control, handle, now, events } = deps;
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
    /** A schedule was set or ended here: sleep until the earliest. */
    wake(): void {
      void schedule();
    },
    start(): void {
      schedulerStopped = false;
      void schedule();
    },
    stop(): void {
      schedulerStopped = true;
      if (schedulerTimer) clearTimeout(schedulerTimer);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
