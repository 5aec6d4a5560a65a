/**
 * The app's one connection to `/api/events` (the session cookie authenticates it). EventSource
 * reconnects by itself and sends `Last-Event-ID`; the server then replays what was missed, so an
 * event can arrive twice around a reconnect: ids only grow, so anything at or below the last id
 * seen is dropped. When the browser gives up (the stream answered an error status), a new
 * EventSource resumes from the last id through `?lastEventId=`.
 */
import { signal } from '@preact/signals';
import type { EventMap, EventName } from './types';

export type Connection = 'live' | 'reconnecting';

export const connection = signal<Connection>('reconnecting');

type Listener<K extends EventName> = (payload: EventMap[K], id: number) => void;
type AnyListener = (type: EventName, payload: unknown, id: number) => void;

const EVENT_NAMES: readonly EventName[] = [
  'download.updated',
  'download.progress',
  'download.completed',
  'download.failed',
  'album.updated',
  'album.completed',
  'downloads.changed',
  'provider.health',
  'provider.circuit',
  'quality-profile.changed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
  'batch.completed',
  'notification',
  'reset',
];

const listeners = new Map<EventName, Set<Listener<EventName>>>();
const anyListeners = new Set<AnyListener>();
let source: EventSource | null = null;
let lastId = -1;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let onClosed: () => void = () => {};

/**
 * Called when the browser stops retrying the stream (an error status, e.g. a 401 once the session
 * expired): the session module checks whether we are still logged in.
 */
export function setStreamClosedHandler(fn: () => void): void {
  onClosed = fn;
}

/** Calls `fn` with every `type` event's payload; returns the unsubscribe. */
export function subscribe<K extends EventName>(type: K, fn: Listener<K>): () => void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(fn as Listener<EventName>);
  return () => set.delete(fn as Listener<EventName>);
}

/** Every event, whatever its type (the download drawer filters them by id). */
export function subscribeAll(fn: AnyListener): () => void {
  anyListeners.add(fn);
  return () => anyListeners.delete(fn);
}

/**
 * Whether an event with this id is new (and remember it). Pure apart from `lastId`; exported for
 * the tests through `acceptId`.
 */
export function acceptId(id: number): boolean {
  if (!Number.isFinite(id)) return true;
  if (id <= lastId) return false;
  lastId = id;
  return true;
}

/** Hands one received event to its subscribers (also the entry point for tests). */
export function dispatch(type: EventName, data: string, rawId: string): void {
  const id = rawId === '' ? NaN : Number(rawId);
  // A reset carries the id the stream continues from, which may be below the last one seen
  // (the log was trimmed or restored): follow it.
  if (type === 'reset') {
    if (Number.isFinite(id)) lastId = id;
  } else if (!acceptId(id)) return;
  let payload: unknown;
  try {
    payload = data ? JSON.parse(data) : null;
  } catch {
    return;
  }
  for (const fn of listeners.get(type) ?? []) fn(payload as never, id);
  for (const fn of anyListeners) fn(type, payload, id);
}

/** Opens the stream (idempotent). Called once the session is known to be valid. */
export function connectEvents(): void {
  if (source) return;
  const url = lastId >= 0 ? `/api/events?lastEventId=${lastId}` : '/api/events';
  const es = new EventSource(url, { withCredentials: true });
  source = es;
  es.onopen = () => {
    connection.value = 'live';
  };
  es.onerror = () => {
    connection.value = 'reconnecting';
    if (es.readyState === EventSource.CLOSED) {
      // The browser stopped retrying (an error status or a bad content type): start over later.
      source = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connectEvents, 3000);
      onClosed();
    }
  };
  for (const type of EVENT_NAMES) {
    es.addEventListener(type, (e) => {
      const m = e as MessageEvent<string>;
      dispatch(type, m.data, m.lastEventId);
    });
  }
}

/** Closes the stream (logout). */
export function disconnectEvents(): void {
  clearTimeout(retryTimer);
  source?.close();
  source = null;
  connection.value = 'reconnecting';
}
