import {
  NOTIFICATION_ROUTES,
  type NotificationEvent,
  type NotificationItem,
} from './notification-events.js';

/** The names a grouped message lists before "and N more". */
export const MESSAGE_NAMES = 5;
/** The items a webhook body carries at most (the count is always exact). */
export const WEBHOOK_ITEMS = 100;

/** One message to a target: one event, or a burst of one event type grouped. */
export interface NotificationMessage {
  /** Stable across retries: Standard Webhooks' `webhook-id`. */
  id: string;
  event: NotificationEvent;
  title: string;
  /** Plain text: the first few lines, then "…and N more". */
  body: string;
  count: number;
  items: NotificationItem[];
  /** Epoch ms of the first event. */
  at: number;
}

/** The message for `items` of one event (pure; items in the order they happened). */
export function composeMessage(
  id: string,
  event: NotificationEvent,
  items: readonly NotificationItem[],
  at: number,
): NotificationMessage {
  const route = NOTIFICATION_ROUTES[event];
  const count = items.length;
  const first = items[0]?.line ?? '';
  const shown = items.slice(0, MESSAGE_NAMES).map((i) => i.line);
  const rest = count - shown.length;
  const body =
    count === 1
      ? first
      : [...shown, ...(rest > 0 ? [`…and ${rest.toLocaleString('en-US')} more`] : [])].join('\n');
  return { id, event, title: route.title(count, first), body, count, items: [...items], at };
}
