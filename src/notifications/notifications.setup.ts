import type { DatabaseHandle } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import { createJobRunner, type JobRunner } from '../jobs/job-runner.js';
import { createJobsRepository, type JobsRepository } from '../jobs/jobs.repository.js';
import type { AddressPolicy } from '../net/address-policy.js';
import type { SettingsService } from '../settings/settings.service.js';
import { createDeliveryTask, createIdleCheckTask } from './delivery.js';
import { createNotificationsRepository } from './notifications.repository.js';
import { createNotificationsService, type NotificationsService } from './notifications.service.js';
import { createOutbox, DELIVER_TASK, IDLE_CHECK_TASK, mayHaveEnqueued } from './outbox.js';
import { createRetentionSweep, type NotificationRetention } from './retention.js';

export interface NotificationsSetup {
  service: NotificationsService;
  jobs: JobsRepository;
  runner: JobRunner;
  /** Deliveries waiting or retrying (soulspot_outbox_backlog). */
  backlog(): Promise<number>;
  /** Targets configured and failing (the `notifications` health check). */
  health(): Promise<{ total: number; failing: number }>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires notifications for main.ts: the outbox as the event log's append hook, the job runner
 * with the delivery and idle-check tasks (woken by the events that come with new jobs, from any
 * process), and the API's service.
 */
export function setUpNotifications(deps: {
  handle: DatabaseHandle;
  events: EventLog;
  settings: Pick<SettingsService, 'get'>;
  owner: string;
  leaseMs: number;
  now: () => number;
  log: { warn(obj: object, msg?: string): void };
  /** Deliveries at once in this process. Default 4. */
  concurrency?: number;
  /** Tests shorten the waits between attempts. */
  retryDelayMs?: (attempt: number) => number;
  /** Tests shorten how long a Retry-After may hold a message (delivery-schedule.ts). */
  holdLimitMs?: number;
  /** What deliveries and dead jobs are kept (default NOTIFICATION_RETENTION). */
  retention?: NotificationRetention;
}): NotificationsSetup {
  const { handle, events, settings, now } = deps;
  const repo = createNotificationsRepository(handle.db, handle.dialect);
  const jobs = createJobsRepository(handle);
  const policy = (): AddressPolicy => ({
    allowedTargets: settings.get('allowedPrivateTargets'),
    settingName: 'allowedPrivateTargets',
  });
  events.addAppendHook(
    createOutbox({
      repo,
      jobs,
      groupMs: () => settings.get('notificationGroupSeconds') * 1000,
      toastEvents: () => settings.get('toastEvents'),
      now,
    }),
  );
  const runner = createJobRunner({
    handle,
    repo: jobs,
    owner: deps.owner,
    leaseMs: deps.leaseMs,
    concurrency: deps.concurrency ?? 4,
    now,
    log: deps.log,
    tasks: {
      [DELIVER_TASK]: createDeliveryTask({
        repo,
        events,
        policy,
        now,
        log: deps.log,
        ...(deps.retryDelayMs ? { retryDelayMs: deps.retryDelayMs } : {}),
        ...(deps.holdLimitMs ? { holdLimitMs: deps.holdLimitMs } : {}),
      }),
      [IDLE_CHECK_TASK]: createIdleCheckTask({ repo, events, now }),
    },
  });
  const sweep = createRetentionSweep({
    repo,
    jobs,
    now,
    log: deps.log,
    ...(deps.retention ? { retention: deps.retention } : {}),
  });
  let off: (() => void) | null = null;
  return {
    service: createNotificationsService({ handle, repo, policy, now }),
    jobs,
    runner,
    async backlog() {
      const counts = await jobs.counts();
      return counts
        .filter((c) => c.task === DELIVER_TASK && c.state === 'queued')
        .reduce((sum, c) => sum + c.count, 0);
    },
    health: () => repo.targetHealth(),
    async start() {
      // A job is written with the event that asks for it, so an event seen here (appended by
      // this process or another, delivered after its commit) is when to look.
      off = events.onAppended((e) => {
        if (mayHaveEnqueued(e)) runner.wake();
      });
      await runner.start();
      await sweep.start();
    },
    async stop() {
      off?.();
      sweep.stop();
      await runner.stop();
    },
  };
}
