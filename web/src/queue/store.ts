/**
 * The queue page's state: the loaded rows (pages of 200 by keyset cursor, as the table scrolls),
 * the filter and order, the selection, the queue overview, and the live feed patching rows. One
 * store per mounted page; `dispose()` drops its event subscriptions.
 */
import { batch, signal } from '@preact/signals';
import { api, ApiError, apiPath, errorText } from '../api';
import { subscribe } from '../events';
import type { Download, DownloadPage, QueueOverview } from '../types';
import { applyLive, createLiveJournal, type LiveChange } from './live-journal';
import {
  appendPage,
  emptyRows,
  NO_FILTER,
  type ListFilter,
  type ListOrder,
  type Rows,
} from './rows';
import { applyRefetch, createRowVersions, pruneRowState, type RefetchAnswer } from './refetch';
import { EMPTY_SELECTION, pruneSelection, type Selection } from './selection';

export const PAGE_SIZE = 200;
/** At most this many changed rows are fetched one by one; more reload the loaded window. */
const REFETCH_LIMIT = 50;
/** How long a refresh asked for waits for the one reading before it starts over anyway. */
export const REFRESH_PATIENCE_MS = 30_000;

export function createQueueStore() {
  const filter = signal<ListFilter>(NO_FILTER);
  const order = signal<ListOrder>('queue');
  /** Bumped whenever `rows` changed in place: what components read to re-render. */
  const version = signal(0);
  const loading = signal(false);
  const error = signal<string | null>(null);
  const overview = signal<QueueOverview | null>(null);
  const selection = signal<Selection>(EMPTY_SELECTION);
  /** Last speed each transfer reported (bytes/s), for speed and ETA; only rows downloading. */
  const speeds = new Map<string, number>();
  /** Rows whose refetch failed (network, 5xx): shown as last known, marked stale. */
  const stale = new Set<string>();
  /** The newest look at each row wins (refetch.ts). */
  const versions = createRowVersions();
  /** What came live while pages are read (live-journal.ts). */
  const journal = createLiveJournal();
  let rows: Rows = emptyRows();
  let cursor: string | null = null;
  /** Answers to an older filter's requests are dropped. */
  let generation = 0;
  let frame = 0;

  /** Coalesces the events of one frame into one re-render. */
  function changed(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      pruneRowState(rows, stale, speeds);
      batch(() => {
        version.value++;
        selection.value = pruneSelection(selection.value, (id) => rows.byId.has(id));
      });
    });
  }

  function query(limit: number) {
    const f = filter.value;
    return {
      order: order.value,
      status: f.statuses,
      provider: f.provider || undefined,
      q: f.text.trim() || undefined,
      limit,
    };
  }

  async function loadMore(): Promise<void> {
    if (loading.value || rows.complete) return;
    const gen = generation;
    // A refresh (refreshLoaded) may swap the rows while this page is in flight, without a new
    // generation: the page follows the old rows' cursor, so it belongs to them only.
    const target = rows;
    const current = () => gen === generation && target === rows;
    const reader = journal.open();
    loading.value = true;
    try {
      const page = await api.get<DownloadPage>('/api/downloads', {
        ...query(PAGE_SIZE),
        cursor: cursor ?? undefined,
      });
      if (!current()) return;
      cursor = page.nextCursor;
      appendPage(rows, page.items, page.nextCursor === null);
      // What came while the page was read is newer than the page.
      reader.replay(rows, filter.value, order.value);
      error.value = null;
      version.value++;
    } catch (e) {
      if (current()) error.value = errorText(e);
    } finally {
      reader.close();
      // After a swap the refresh cleared it, and a newer page may be loading by now.
      if (current()) loading.value = false;
    }
  }

  /** Starts over from the first page (a filter or order change, a reorder, a replay reset). */
  function reload(): Promise<void> {
    generation++;
    // The refresh reading now is dropped (its generation is over); one waiting is not wanted.
    refreshRun = null;
    refreshNext = null;
    journal.closeAll();
    versions.clear();
    rows = emptyRows();
    cursor = null;
    loading.value = false;
    version.value++;
    return loadMore();
  }

  /** The refresh reading now, and the one asked for meanwhile that runs once it is done. */
  let refreshRun: Promise<void> | null = null;
  let refreshNext: Promise<void> | null = null;

  function startRefresh(): Promise<void> {
    const run: Promise<void> = readLoaded().finally(() => {
      if (refreshRun === run) refreshRun = null;
    });
    refreshRun = run;
    return run;
  }

  /**
   * Reloads as many rows as are loaded now, keeping the scroll place meaningful (the API's
   * order after a reorder or a batch wins over what the page guessed). One at a time: asked for
   * while one reads (a reorder's own call and its event, a burst of moves), one more runs after
   * it for all of them, instead of each starting over, so at 100,000 loaded rows (200 pages) a
   * steady stream of moves cannot keep the refresh from ever finishing. A read that has not
   * answered within REFRESH_PATIENCE_MS (fetch has no timeout) is overtaken. Resolves when rows
   * read after the call are shown (or that read failed or was dropped by a reload).
   */
  function refreshLoaded(): Promise<void> {
    if (refreshRun === null) return startRefresh();
    if (refreshNext === null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const patience = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, REFRESH_PATIENCE_MS);
      });
      const next: Promise<void> = Promise.race([refreshRun, patience]).then(() => {
        clearTimeout(timer);
        // A reload or dispose meanwhile: not wanted any more.
        if (refreshNext !== next) return;
        refreshNext = null;
        return startRefresh();
      });
      refreshNext = next;
    }
    return refreshNext;
  }

  async function readLoaded(): Promise<void> {
    const want = Math.max(PAGE_SIZE, rows.order.length);
    const gen = ++generation;
    const reader = journal.open();
    const next = emptyRows();
    let next_cursor: string | null = null;
    try {
      do {
        const page: DownloadPage = await api.get<DownloadPage>('/api/downloads', {
          ...query(Math.min(500, want - next.order.length)),
          cursor: next_cursor ?? undefined,
        });
        if (gen !== generation) return;
        next_cursor = page.nextCursor;
        appendPage(next, page.items, page.nextCursor === null);
      } while (next_cursor !== null && next.order.length < want);
      reader.replay(next, filter.value, order.value);
      rows = next;
      // Every row was just read again: none is stale any more.
      stale.clear();
      cursor = next_cursor;
      loading.value = false;
      changed();
    } catch (e) {
      if (gen === generation) {
        error.value = errorText(e);
        loading.value = false;
      }
    } finally {
      reader.close();
    }
  }

  async function loadOverview(): Promise<void> {
    try {
      overview.value = await api.get<QueueOverview>('/api/queue');
    } catch {
      /* the page shows the last one; the next event tries again */
    }
  }
  let overviewTimer: ReturnType<typeof setTimeout> | undefined;
  function overviewSoon(): void {
    if (overviewTimer) return;
    overviewTimer = setTimeout(() => {
      overviewTimer = undefined;
      void loadOverview();
    }, 1000);
  }

  async function refetchOne(id: string): Promise<void> {
    const gen = generation;
    const token = versions.bump(id);
    const answer: RefetchAnswer = await api.get<Download>(apiPath`/api/downloads/${id}`).then(
      (download) => ({ kind: 'found', download }),
      (e: unknown) =>
        e instanceof ApiError && e.status === 404
          ? { kind: 'gone' }
          : { kind: 'error', message: errorText(e) },
    );
    // A reload replaced the rows, or a newer look at this row (a live update, a later refetch)
    // came first: this answer is older than what is shown.
    if (gen !== generation || !versions.isCurrent(id, token)) return;
    versions.settle(id, token);
    if (answer.kind === 'found') journal.record({ kind: 'update', download: answer.download });
    if (answer.kind === 'gone') journal.record({ kind: 'remove', ids: [id] });
    if (applyRefetch(rows, stale, id, answer, filter.value, order.value)) changed();
  }

  /** A live change: onto the shown rows now, and onto a refresh's rows when they come in. */
  function live(change: LiveChange): boolean {
    journal.record(change);
    return applyLive(rows, change, filter.value, order.value);
  }

  async function refetch(ids: string[]): Promise<void> {
    await Promise.all(ids.map(refetchOne));
  }

  const unsubscribe = [
    subscribe('download.updated', (d) => {
      const before = rows.byId.get(d.id)?.status;
      // Newer than any refetch of it in flight, and proof the row is live again.
      versions.settle(d.id, versions.bump(d.id));
      if (stale.delete(d.id)) changed();
      if (live({ kind: 'update', download: d })) changed();
      if (before !== d.status) overviewSoon();
    }),
    subscribe('download.progress', (p) => {
      // Only for rows shown: a transfer out of view would only grow the map.
      if (p.speed !== undefined && rows.byId.has(p.id)) speeds.set(p.id, p.speed);
      if (live({ kind: 'progress', progress: p })) changed();
    }),
    subscribe('downloads.changed', (c) => {
      overviewSoon();
      if (c.action === 'remove') {
        // Newer than any refetch of these rows in flight: one read before the delete and
        // answered after it would otherwise insert the row again.
        for (const id of c.ids) versions.settle(id, versions.bump(id));
        if (live({ kind: 'remove', ids: c.ids })) changed();
        return;
      }
      const shown = c.ids.filter((id) => rows.byId.has(id));
      if (c.action === 'reorder' || c.action === 'set_priority' || shown.length > REFETCH_LIMIT)
        void refreshLoaded();
      else if (shown.length > 0) void refetch(shown);
    }),
    subscribe('reset', () => {
      versions.clear();
      void loadOverview();
      void refreshLoaded();
    }),
  ];

  return {
    filter,
    order,
    version,
    loading,
    error,
    overview,
    selection,
    speeds,
    stale,
    get rows(): Rows {
      return rows;
    },
    loadMore,
    reload,
    refreshLoaded,
    loadOverview,
    /** Shows a new order at once (a drop), before the API's answer reloads it. */
    setOrder(ids: string[]): void {
      rows.order = ids;
      version.value++;
    },
    setOverview(o: QueueOverview): void {
      overview.value = o;
    },
    dispose(): void {
      generation++;
      refreshRun = null;
      refreshNext = null;
      journal.closeAll();
      cancelAnimationFrame(frame);
      clearTimeout(overviewTimer);
      for (const u of unsubscribe) u();
    },
  };
}

export type QueueStore = ReturnType<typeof createQueueStore>;
