/**
 * Which logged events are notifications and how each is worded: one table row per event, in the
 * form of ERROR_POLICIES (downloads/error-codes.ts). Pure: the outbox reads it to decide what to
 * enqueue, message.ts to write the grouped message. A notification's name is the event log type
 * it comes from, so what a target subscribes to is what SSE shows.
 */

export const NOTIFICATION_EVENTS = [
  'download.completed',
  'download.failed',
  'album.completed',
  'batch.completed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What one event adds to a message: a line a person reads and the data a webhook gets. */
export interface NotificationItem {
  line: string;
  data: Record<string, unknown>;
}

export interface NotificationRoute {
  /** The title of a message holding `count` events (1 = the event on its own, `first` its line). */
  title(count: number, first: string): string;
  /** One line for the event (artist – title, the provider's wording…). */
  item(payload: Record<string, unknown>): NotificationItem;
  /** ntfy priority, 1 (min) to 5 (max); Gotify gets it doubled (0–10). */
  priority: 1 | 2 | 3 | 4 | 5;
  /** ntfy tags (emoji short codes). */
  tags: readonly string[];
  /** Discord embed colour. */
  color: number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const plural = (n: number, one: string, many: string): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const megabytes = (bytes: unknown): string =>
  `${Math.floor(Number(bytes) / 1_048_576).toLocaleString('en-US')} MB`;

/** "Artist – Title", with the album when there is one. */
function trackLine(p: Record<string, unknown>): string {
  const album = str(p.album);
  return `${str(p.artist)} – ${str(p.title)}${album ? ` (${album})` : ''}`;
}

function downloadData(p: Record<string, unknown>): Record<string, unknown> {
  return {
    id: p.id,
    artist: p.artist,
    title: p.title,
    album: p.album ?? null,
    status: p.status,
    errorCode: p.errorCode ?? null,
    errorMessage: p.errorMessage ?? null,
    libraryPath: p.libraryPath ?? null,
    completedAt: p.completedAt ?? null,
  };
}

export const NOTIFICATION_ROUTES: Record<NotificationEvent, NotificationRoute> = {
  'download.completed': {
    title: (n, first) =>
      n === 1 ? `Downloaded: ${first}` : `${plural(n, 'download', 'downloads')} completed`,
    item: (p) => ({ line: trackLine(p), data: downloadData(p) }),
    priority: 2,
    tags: ['white_check_mark'],
    color: 0x2ecc71,
  },
  'download.failed': {
    title: (n, first) =>
      n === 1 ? `Download failed: ${first}` : `${plural(n, 'download', 'downloads')} failed`,
    item: (p) => ({
      line: `${trackLine(p)}${p.errorCode ? `: ${str(p.errorCode)}` : ''}`,
      data: downloadData(p),
    }),
    priority: 3,
    tags: ['x'],
    color: 0xe74c3c,
  },
  'album.completed': {
    title: (n, first) =>
      n === 1 ? `Album complete: ${first}` : `${plural(n, 'album', 'albums')} complete`,
    item: (p) => ({
      line: `${str(p.artist)} – ${str(p.album)}`,
      data: { id: p.id, artist: p.artist, album: p.album, trackCount: p.trackCount ?? null },
    }),
    priority: 3,
    tags: ['cd'],
    color: 0x3498db,
  },
  'batch.completed': {
    title: (n, first) =>
      n === 1 ? `Batch done: ${first}` : `${plural(n, 'batch action', 'batch actions')} done`,
    item: (p) => ({
      line: `${str(p.action)} ${Number(p.successCount).toLocaleString('en-US')} of ${Number(p.total).toLocaleString('en-US')}`,
      data: {
        action: p.action,
        total: p.total,
        successCount: p.successCount,
        failedCount: p.failedCount,
      },
    }),
    priority: 2,
    tags: ['package'],
    color: 0x95a5a6,
  },
  'provider.offline': {
    title: (n, first) => (n === 1 ? first : `${plural(n, 'provider outage', 'provider outages')}`),
    item: (p) => ({
      line: str(p.message) || `${str(p.provider)} is offline`,
      data: { provider: p.provider, message: p.message },
    }),
    priority: 4,
    tags: ['warning'],
    color: 0xe67e22,
  },
  'provider.online': {
    title: (n, first) => (n === 1 ? first : `${plural(n, 'provider', 'providers')} back online`),
    item: (p) => ({ line: `${str(p.provider)} is back online`, data: { provider: p.provider } }),
    priority: 3,
    tags: ['green_circle'],
    color: 0x2ecc71,
  },
  'disk.low': {
    title: (n, first) => (n === 1 ? first : 'Library disk space low'),
    item: (p) => ({
      line: `Library disk space low: ${megabytes(p.freeBytes)} free (warning below ${megabytes(p.thresholdBytes)})`,
      data: { path: p.path, freeBytes: p.freeBytes, thresholdBytes: p.thresholdBytes },
    }),
    priority: 4,
    tags: ['floppy_disk'],
    color: 0xe67e22,
  },
  'queue.idle': {
    title: () => 'Queue idle: nothing left to download',
    item: (p) => ({ line: 'Every download has finished', data: { at: p.at } }),
    priority: 2,
    tags: ['zzz'],
    color: 0x95a5a6,
  },
};

const names = new Set<string>(NOTIFICATION_EVENTS);

export function isNotificationEvent(type: string): type is NotificationEvent {
  return names.has(type);
}
