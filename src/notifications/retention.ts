import type { JobsRepository } from '../jobs/jobs.repository.js';
import type { NotificationsRepository } from './notifications.repository.js';

/**
 * What the notification tables keep, the rule stated once: a delivery attempt is kept for
 * `deliveryMaxAgeMs` and, per target, only the newest `deliveriesPerTarget` (what
 * `GET /api/notifications/{id}/deliveries` shows, newest first); a dead job (its last attempt
 * failed, kept with `last_error`) for `deadJobMaxAgeMs` after it died. Queued jobs are never
 * trimmed: they are deliveries still to make. Like the event log's trim (events/event-log.ts), a
 * timer runs it, never an insert.
 */
export const NOTIFICATION_RETENTION = {
  deliveryMaxAgeMs: 30 * 86_400_000,
  deliveriesPerTarget: 1000,
  deadJobMaxAgeMs: 30 * 86_400_000,
};

export type NotificationRetention = typeof NOTIFICATION_RETENTION;

export function createRetentionSweep(deps: {
  repo: Pick<NotificationsRepository, 'trimDeliveriesOlderThan' | 'trimDeliveriesPerTarget'>;
  jobs: Pick<JobsRepository, 'trimDead'>;
  now: () => number;
  log: { warn(obj: object, msg?: string): void };
  retention?: NotificationRetention;
  /** Default 15 minutes, as the event log's. */
  everyMs?: number;
}) {
  const retention = deps.retention ?? NOTIFICATION_RETENTION;
  let timer: NodeJS.Timeout | null = null;

  /** Trims by age, then by count, then dead jobs; returns the rows deleted by each. */
  const trim = async () => {
    const t = deps.now();
    const deliveriesByAge = await deps.repo.trimDeliveriesOlderThan(t - retention.deliveryMaxAgeMs);
    const deliveriesByCount = await deps.repo.trimDeliveriesPerTarget(
      retention.deliveriesPerTarget,
    );
    const deadJobs = await deps.jobs.trimDead(t - retention.deadJobMaxAgeMs);
    return { deliveriesByAge, deliveriesByCount, deadJobs };
  };
  const run = (): Promise<void> =>
    trim().then(
      () => undefined,
      (error: unknown) => deps.log.warn({ error: String(error) }, 'notification trim failed'),
    );

  return {
    trim,
    /** Trims once (awaited), then every `everyMs`. */
    async start(): Promise<void> {
      await run();
      timer = setInterval(() => void run(), deps.everyMs ?? 15 * 60_000);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
