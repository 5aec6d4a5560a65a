import { CliError, type ApiClient } from './client.js';
import type { Reporter } from './report.js';
import { followEvents, type ServerEvent } from './sse.js';
import type { DownloadView, ProgressDelta, Tracker } from './tracker.js';

/** A reload of every unfinished track this often, in case an event was missed. */
const RECONCILE_MS = 15_000;
const RECONCILE_BATCH = 200;
const FETCH_CONCURRENCY = 8;

export interface Follower {
  /** Connected to the event stream (rejects with the reason when that failed). */
  ready: Promise<void>;
  /** Reads these downloads over REST and applies them. */
  refresh(ids: string[]): Promise<void>;
  /** Resolves when `done()` holds (checked after every change), or when `signal` aborts. */
  until(done: () => boolean, signal: AbortSignal): Promise<void>;
  /** Makes `until` check its condition again (a change it cannot see, such as an album's status). */
  wake(): void;
  close(): void;
}

/**
 * Follows the tracker's downloads through the event stream (download.updated / .completed /
 * .failed snapshots, download.progress deltas), reloading over REST after a reconnect, a `reset`,
 * a batch change naming them, and every 15 s.
 */
export function createFollower(
  client: ApiClient,
  tracker: Tracker,
  reporter: Reporter,
  extra: { onEvent?(e: ServerEvent): void } = {},
): Follower {
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const poke = (): void => wake?.();
  const applyDownload = (d: DownloadView): void => {
    const change = tracker.applyDownload(d);
    if (change) reporter.change(change);
    else {
      const item = tracker.get(d.id);
      if (item) reporter.progress(item);
    }
    poke();
  };
  const refresh = async (ids: string[]): Promise<void> => {
    const queue = [...ids];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          applyDownload(await client.request<DownloadView>('GET', `/api/downloads/${id}`));
        } catch (error) {
          // Removed from the history meanwhile: it will not finish.
          if (error instanceof CliError && error.status === 404) {
            const item = tracker.get(id);
            if (item)
              applyDownload({
                ...item,
                status: 'cancelled',
                errorCode: null,
                errorMessage: 'removed from SoulSpot',
                updatedAt: new Date().toISOString(),
              });
          } else if (error instanceof CliError && error.kind === 'auth') {
            failure = error;
            poke();
            return;
          }
          // Anything else: the next reconcile tries again.
        }
      }
    };
    await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, worker));
  };
  const onEvent = (e: ServerEvent): void => {
    extra.onEvent?.(e);
    try {
      if (
        e.event === 'download.updated' ||
        e.event === 'download.completed' ||
        e.event === 'download.failed'
      ) {
        applyDownload(JSON.parse(e.data) as DownloadView);
      } else if (e.event === 'download.progress') {
        const p = JSON.parse(e.data) as ProgressDelta;
        if (tracker.applyProgress(p)) reporter.progress(tracker.get(p.id)!);
      } else if (e.event === 'downloads.changed') {
        const { ids } = JSON.parse(e.data) as { ids: string[] };
        void refresh(ids.filter((id) => tracker.has(id)));
      } else if (e.event === 'reset') {
        void refresh(tracker.unfinishedIds());
      }
    } catch {
      // A malformed event is skipped; the reconcile catches up.
    }
  };
  const stream = followEvents(client, {
    onEvent,
    onReconnect: () => void refresh(tracker.unfinishedIds()),
    onError: (error) => {
      failure = error;
      poke();
    },
  });
  return {
    ready: stream.ready,
    refresh,
    async until(done, signal) {
      // At most RECONCILE_BATCH a round, in turn: a 10,000-track playlist is not reloaded at once.
      let turn = 0;
      const timer = setInterval(() => {
        const ids = tracker.unfinishedIds();
        const start = ids.length > RECONCILE_BATCH ? (turn * RECONCILE_BATCH) % ids.length : 0;
        turn++;
        void refresh(ids.slice(start, start + RECONCILE_BATCH));
      }, RECONCILE_MS);
      // One listener for the whole wait (one per turn would pile up on a long run).
      const onAbort = (): void => poke();
      signal.addEventListener('abort', onAbort);
      try {
        while (!done() && !signal.aborted) {
          if (failure) throw failure;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
        if (failure) throw failure;
      } finally {
        clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
      }
    },
    wake: poke,
    close: () => stream.close(),
  };
}
