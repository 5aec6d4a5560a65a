import type { Db } from '../db/database.js';
import type { LoggedEventInput } from '../events/event-log.js';
import type { JobsRepository } from '../jobs/jobs.repository.js';
import { DELIVERY_MAX_ATTEMPTS } from './delivery-schedule.js';
import {
  isNotificationEvent,
  NOTIFICATION_ROUTES,
  type NotificationEvent,
  type NotificationItem,
} from './notification-events.js';
import type { NotificationsRepository } from './notifications.repository.js';

export const DELIVER_TASK = 'notify.deliver';
export const IDLE_CHECK_TASK = 'queue.idle-check';

/** A delivery job's payload: one target (null: the in-app toast) and one event type. */
export interface DeliveryPayload {
  targetId: string | null;
  event: NotificationEvent;
}

export interface OutboxDeps {
  repo: NotificationsRepository;
  jobs: JobsRepository;
  /** Read at each event: the group window (ms) and the events shown as toasts. */
  groupMs: () => number;
  toastEvents: () => readonly string[];
  now: () => number;
}

/** The toast's attempts: it only appends an event, so a few suffice. */
const TOAST_ATTEMPTS = 3;

/**
 * The durable outbox: the event log's append hook (event-log.ts `addAppendHook`). Inside the
 * transaction that writes an event, each enabled target subscribed to it (and the toast, when the
 * `toastEvents` setting names it) gets the event as an item of a delivery job, so the delivery
 * commits with the change or not at all. Grouping is the job table's unique key: one waiting job
 * per (target, event type), due `notificationGroupSeconds` after its first event; events that come
 * before it starts join it, so a burst of 500 completions is one message. A job that has started
 * takes no more: what comes then waits in a new one.
 *
 * It also arms the idle check: an event that ends a download enqueues (once, by its key) a look
 * at whether anything is left, which appends `queue.idle` when nothing is.
 */
export function createOutbox(deps: OutboxDeps) {
  const { repo, jobs, now } = deps;

  return async (tx: Db, batch: readonly LoggedEventInput[]): Promise<void> => {
    if (batch.some(endsDownload)) {
      await jobs.enqueue(
        tx,
        {
          task: IDLE_CHECK_TASK,
          payload: {},
          uniqueKey: IDLE_CHECK_TASK,
          runAfter: now() + Math.max(1000, deps.groupMs()),
          maxAttempts: 3,
        },
        now(),
      );
    }
    const notable = batch.filter((e) => isNotificationEvent(e.type));
    if (notable.length === 0) return;
    const targets = await repo.enabledTargets(tx);
    const toast = new Set(deps.toastEvents());
    const groups = new Map<string, DeliveryPayload & { items: NotificationItem[] }>();
    const add = (targetId: string | null, event: NotificationEvent, item: NotificationItem) => {
      const key = `notify:${targetId ?? 'toast'}:${event}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { targetId, event, items: [] }));
      group.items.push(item);
    };
    for (const e of notable) {
      const event = e.type as NotificationEvent;
      const item = NOTIFICATION_ROUTES[event].item(e.payload as unknown as Record<string, unknown>);
      for (const t of targets) if (t.events.includes(event)) add(t.id, event, item);
      if (toast.has(event)) add(null, event, item);
    }
    const t = now();
    for (const [key, group] of groups) {
      const jobId = await jobs.enqueue(
        tx,
        {
          task: DELIVER_TASK,
          payload: { targetId: group.targetId, event: group.event } satisfies DeliveryPayload,
          uniqueKey: key,
          runAfter: t + deps.groupMs(),
          maxAttempts: group.targetId === null ? TOAST_ATTEMPTS : DELIVERY_MAX_ATTEMPTS,
        },
        t,
      );
      await repo.insertItems(tx, jobId, group.event, group.items, t);
    }
  };
}

/** Events after which the queue may have become idle: a download ended. */
function endsDownload(e: LoggedEventInput): boolean {
  switch (e.type) {
    case 'download.completed':
    case 'download.failed':
      return true;
    case 'download.updated':
      return e.payload.status === 'cancelled';
    case 'downloads.changed':
      return e.payload.action === 'cancel';
    default:
      return false;
  }
}

/** Whether an event appended anywhere may have come with a job this runner should look at. */
export function mayHaveEnqueued(e: LoggedEventInput): boolean {
  return isNotificationEvent(e.type) || endsDownload(e);
}
