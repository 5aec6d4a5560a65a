/**
 * The queue store's wiring of its pure parts (rows.ts, live-journal.ts, refetch.ts): which
 * answers it keeps when they come back in an order of the test's choosing. The HTTP layer is a
 * fake `fetch` whose answers stay pending until a test sends them; the live feed goes in through
 * events.ts `dispatch`, as the EventSource would.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../events';
import type { Download, DownloadPage, DownloadProgress, EventMap, EventName } from '../types';
import { dl } from './download-fixture';
import { createQueueStore, REFRESH_PATIENCE_MS, type QueueStore } from './store';

interface Pending {
  url: URL;
  /** Answers the request (JSON body, HTTP status), then lets the store's awaits run. */
  respond(body: unknown, status?: number): Promise<void>;
}

let pending: Pending[] = [];
let stores: QueueStore[] = [];

/**
 * Every microtask queued so far (and those they queue) runs before a macrotask. The real timer,
 * taken before a test fakes them.
 */
const realSetTimeout = globalThis.setTimeout;
const settle = () => new Promise<void>((resolve) => realSetTimeout(resolve, 0));

function fakeFetch(input: string): Promise<Response> {
  return new Promise((resolve) => {
    pending.push({
      url: new URL(input, 'http://soulspot.test'),
      async respond(body, status = 200) {
        resolve({
          ok: status < 400,
          status,
          statusText: status < 400 ? 'OK' : 'Error',
          text: async () => JSON.stringify(body),
        } as Response);
        await settle();
      },
    });
  });
}

/** The oldest request in flight to `pathname` (the list, or one download): taken off the list. */
function take(pathname: string): Pending {
  const i = pending.findIndex((p) => p.url.pathname === pathname);
  if (i < 0)
    throw new Error(
      `no request to ${pathname} in flight (${pending.map((p) => p.url.pathname).join(', ')})`,
    );
  return pending.splice(i, 1)[0]!;
}

function inFlight(pathname: string): number {
  return pending.filter((p) => p.url.pathname === pathname).length;
}

const page = (items: Download[], nextCursor: string | null = null): DownloadPage => ({
  items,
  nextCursor,
});

/** One event as the stream delivers it (no id: never taken for a replayed one). */
async function send<K extends EventName>(type: K, payload: EventMap[K]): Promise<void> {
  dispatch(type, JSON.stringify(payload), '');
  await settle();
}

const progress = (id: string, bytesTransferred: number): DownloadProgress => ({
  id,
  progress: bytesTransferred / 10,
  bytesTransferred,
  queuePosition: null,
  updatedAt: '2026-01-01T00:01:00.000Z',
});

/** A store with `items` loaded as its first (and last) page. */
async function loaded(items: Download[]): Promise<QueueStore> {
  const store = createQueueStore();
  stores.push(store);
  void store.loadMore();
  await take('/api/downloads').respond(page(items));
  expect(store.rows.order).toEqual(items.map((d) => d.id));
  return store;
}

const shown = (store: QueueStore, id: string): Download | undefined => store.rows.byId.get(id);

beforeEach(() => {
  pending = [];
  vi.stubGlobal('fetch', fakeFetch);
  // Frames never run on their own: the store's rows are read directly, not through a render.
  vi.stubGlobal('requestAnimationFrame', () => 1);
  vi.stubGlobal('cancelAnimationFrame', () => {});
});

afterEach(() => {
  for (const s of stores) s.dispose();
  stores = [];
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the queue store: answers of an older load are stale', () => {
  it('a page asked for before a filter change is dropped, in whichever order the pages come', async () => {
    const store = createQueueStore();
    stores.push(store);
    void store.loadMore();
    const before = take('/api/downloads');
    store.filter.value = { statuses: ['failed'], provider: '', text: '' };
    void store.reload();
    const after = take('/api/downloads');
    expect(after.url.searchParams.get('status')).toBe('failed');

    await after.respond(page([dl({ id: 'f', status: 'failed' })]));
    await before.respond(page([dl({ id: 'w1' }), dl({ id: 'w2' })], 'next'));

    expect(store.rows.order).toEqual(['f']);
    expect(store.rows.complete).toBe(true);
    expect(store.loading.value).toBe(false);
  });

  it("an older load's failure shows no error over the newer load's rows", async () => {
    const store = createQueueStore();
    stores.push(store);
    void store.loadMore();
    const before = take('/api/downloads');
    void store.reload();
    await take('/api/downloads').respond(page([dl({ id: 'a' })]));
    await before.respond({ message: 'boom' }, 500);

    expect(store.error.value).toBeNull();
    expect(store.rows.order).toEqual(['a']);
  });

  it('a refresh that does not answer is overtaken after a while: its late pages are dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    const first = take('/api/downloads');
    await send('downloads.changed', { action: 'reorder', ids: ['b'] });
    expect(inFlight('/api/downloads')).toBe(0);
    await vi.advanceTimersByTimeAsync(REFRESH_PATIENCE_MS);
    const second = take('/api/downloads');

    await second.respond(page([dl({ id: 'b' }), dl({ id: 'a' })]));
    expect(store.rows.order).toEqual(['b', 'a']);
    await first.respond(page([dl({ id: 'a' }), dl({ id: 'b' })]));
    expect(store.rows.order).toEqual(['b', 'a']);
    expect(inFlight('/api/downloads')).toBe(0);
  });

  it('a refetch sent before a reload does not patch the reloaded rows', async () => {
    const store = await loaded([dl({ id: 'a' })]);
    await send('downloads.changed', { action: 'pause', ids: ['a'] });
    const refetch = take('/api/downloads/a');
    void store.reload();
    await take('/api/downloads').respond(page([dl({ id: 'a', status: 'waiting', priority: 2 })]));
    await refetch.respond(dl({ id: 'a', status: 'paused', priority: 0 }));

    expect(shown(store, 'a')).toMatchObject({ status: 'waiting', priority: 2 });
  });

  it("a refetch sent before a refresh is not replayed over the refresh's newer page", async () => {
    const store = await loaded([dl({ id: 'a' })]);
    await send('downloads.changed', { action: 'pause', ids: ['a'] });
    const refetch = take('/api/downloads/a');
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    const refresh = take('/api/downloads');
    // Read before the refresh's page, answered while it is in flight.
    await refetch.respond(dl({ id: 'a', status: 'paused', priority: 0 }));
    await refresh.respond(page([dl({ id: 'a', status: 'waiting', priority: 2 })]));

    expect(shown(store, 'a')).toMatchObject({ status: 'waiting', priority: 2 });
  });
});

describe('the queue store: live changes while the loaded rows are read again', () => {
  it('an update and a progress that came during refreshLoaded are kept after the swap', async () => {
    const store = await loaded([
      dl({ id: 'a', status: 'downloading', bytesTransferred: 10 }),
      dl({ id: 'b', status: 'downloading', bytesTransferred: 10 }),
    ]);
    await send('downloads.changed', { action: 'set_priority', ids: ['b'] });
    const refresh = take('/api/downloads');

    await send('download.updated', dl({ id: 'a', status: 'completed', progress: 100 }));
    await send('download.progress', progress('b', 700));
    expect(shown(store, 'a')?.status).toBe('completed');

    // The pages were read before those changes: the new order, the old states.
    await refresh.respond(
      page([
        dl({ id: 'b', status: 'downloading', bytesTransferred: 10, priority: 5 }),
        dl({ id: 'a', status: 'downloading', bytesTransferred: 10 }),
      ]),
    );
    expect(store.rows.order).toEqual(['b', 'a']);
    expect(shown(store, 'a')).toMatchObject({ status: 'completed', progress: 100 });
    expect(shown(store, 'b')).toMatchObject({ bytesTransferred: 700, priority: 5 });
  });

  it('a row that left the filter during the refresh is not brought back by its page', async () => {
    const store = await loaded([dl({ id: 'a', status: 'downloading' }), dl({ id: 'b' })]);
    store.filter.value = { statuses: ['waiting', 'downloading'], provider: '', text: '' };
    await send('reset', null);
    const refresh = take('/api/downloads');
    await send('download.updated', dl({ id: 'a', status: 'completed' }));
    await refresh.respond(page([dl({ id: 'a', status: 'downloading' }), dl({ id: 'b' })]));

    expect(store.rows.order).toEqual(['b']);
  });

  it('a removal during the refresh stays removed', async () => {
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' }), dl({ id: 'c' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['c'] });
    const refresh = take('/api/downloads');
    await send('downloads.changed', { action: 'remove', ids: ['b'] });
    expect(store.rows.order).toEqual(['a', 'c']);

    await refresh.respond(page([dl({ id: 'c' }), dl({ id: 'b' }), dl({ id: 'a' })]));
    expect(store.rows.order).toEqual(['c', 'a']);
    expect(shown(store, 'b')).toBeUndefined();
  });

  it('a row a refetch found gone (404) during the refresh stays removed', async () => {
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    const refresh = take('/api/downloads');
    await send('downloads.changed', { action: 'retry', ids: ['b'] });
    await take('/api/downloads/b').respond({ message: 'not found' }, 404);
    expect(store.rows.order).toEqual(['a']);

    await refresh.respond(page([dl({ id: 'a' }), dl({ id: 'b' })]));
    expect(store.rows.order).toEqual(['a']);
  });

  it("a refetch answered during the refresh is kept over the refresh's older page", async () => {
    const store = await loaded([dl({ id: 'a', status: 'waiting' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    const refresh = take('/api/downloads');
    await send('downloads.changed', { action: 'pause', ids: ['a'] });
    await take('/api/downloads/a').respond(dl({ id: 'a', status: 'paused' }));
    expect(shown(store, 'a')?.status).toBe('paused');

    await refresh.respond(page([dl({ id: 'a', status: 'waiting' })]));
    expect(shown(store, 'a')?.status).toBe('paused');
  });
});

describe('the queue store: a refetch answer older than a live update', () => {
  it('does not overwrite the update', async () => {
    const store = await loaded([dl({ id: 'a', status: 'waiting' })]);
    await send('downloads.changed', { action: 'retry', ids: ['a'] });
    const refetch = take('/api/downloads/a');
    await send('download.updated', dl({ id: 'a', status: 'downloading', bytesTransferred: 500 }));
    await refetch.respond(dl({ id: 'a', status: 'waiting', bytesTransferred: 0 }));

    expect(shown(store, 'a')).toMatchObject({ status: 'downloading', bytesTransferred: 500 });
    expect(store.stale.has('a')).toBe(false);
  });

  it('a late 404 or failure does not remove the row or mark it stale', async () => {
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' })]);
    await send('downloads.changed', { action: 'retry', ids: ['a', 'b'] });
    expect(inFlight('/api/downloads/a') + inFlight('/api/downloads/b')).toBe(2);
    const refetchA = take('/api/downloads/a');
    const refetchB = take('/api/downloads/b');
    await send('download.updated', dl({ id: 'a', status: 'searching' }));
    await send('download.updated', dl({ id: 'b', status: 'searching' }));
    await refetchA.respond({ message: 'not found' }, 404);
    await refetchB.respond({ message: 'unavailable' }, 503);

    expect(store.rows.order).toEqual(['a', 'b']);
    expect(shown(store, 'a')?.status).toBe('searching');
    expect(store.stale.size).toBe(0);
  });

  it('of two refetches of one row, the older answer landing last changes nothing', async () => {
    const store = await loaded([dl({ id: 'a' })]);
    await send('downloads.changed', { action: 'pause', ids: ['a'] });
    const older = take('/api/downloads/a');
    await send('downloads.changed', { action: 'resume', ids: ['a'] });
    const newer = take('/api/downloads/a');
    await newer.respond(dl({ id: 'a', status: 'waiting', priority: 3 }));
    await older.respond(dl({ id: 'a', status: 'paused', priority: 0 }));

    expect(shown(store, 'a')).toMatchObject({ status: 'waiting', priority: 3 });
  });
});

describe('the queue store: a removal is final', () => {
  it('a refetch read before the removal and answered after it does not bring the row back', async () => {
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' })]);
    await send('downloads.changed', { action: 'pause', ids: ['a'] });
    const refetch = take('/api/downloads/a');
    await send('downloads.changed', { action: 'remove', ids: ['a'] });
    expect(store.rows.order).toEqual(['b']);
    // Read before the DELETE, delivered after the stream announced it.
    await refetch.respond(dl({ id: 'a', status: 'paused' }));

    expect(store.rows.order).toEqual(['b']);
    expect(shown(store, 'a')).toBeUndefined();
  });
});

describe('the queue store: a next page during a refresh', () => {
  it("a page asked for before a refresh's swap is not appended to the refreshed rows", async () => {
    const store = createQueueStore();
    stores.push(store);
    void store.loadMore();
    await take('/api/downloads').respond(page([dl({ id: 'a' }), dl({ id: 'b' })], 'after-b'));
    await send('downloads.changed', { action: 'reorder', ids: ['b'] });
    const refresh = take('/api/downloads');
    // The table scrolls to the end meanwhile: the next page after the old order's last row.
    void store.loadMore();
    const scrolled = take('/api/downloads');
    expect(scrolled.url.searchParams.get('cursor')).toBe('after-b');
    // Read after the reorder: "c" is on it already, the list ends there.
    await refresh.respond(page([dl({ id: 'b' }), dl({ id: 'c' }), dl({ id: 'a' })]));
    expect(store.rows.order).toEqual(['b', 'c', 'a']);
    await scrolled.respond(page([dl({ id: 'c' }), dl({ id: 'd' })], 'after-d'));

    // The old cursor's page is dropped: it neither adds rows past the end nor moves the cursor.
    expect(store.rows.order).toEqual(['b', 'c', 'a']);
    expect(store.rows.complete).toBe(true);
    expect(store.loading.value).toBe(false);
    void store.loadMore();
    expect(inFlight('/api/downloads')).toBe(0);
  });
});

describe('the queue store: live changes while the next page is read', () => {
  it('a change that came while the next page was read is not undone by that page', async () => {
    const store = createQueueStore();
    stores.push(store);
    void store.loadMore();
    await take('/api/downloads').respond(page([dl({ id: 'a' })], 'c1'));
    void store.loadMore();
    const next = take('/api/downloads');
    expect(next.url.searchParams.get('cursor')).toBe('c1');
    // While the page is in flight: "b" (on it, not shown yet) finishes, "c" is removed.
    await send('download.updated', dl({ id: 'b', status: 'completed', progress: 100 }));
    await send('downloads.changed', { action: 'remove', ids: ['c'] });
    await next.respond(page([dl({ id: 'b', status: 'downloading' }), dl({ id: 'c' })]));

    expect(store.rows.order).toEqual(['a', 'b']);
    expect(shown(store, 'b')).toMatchObject({ status: 'completed', progress: 100 });
  });

  it('a row that left the filter while its page was read does not come in with it', async () => {
    const store = createQueueStore();
    stores.push(store);
    store.filter.value = { statuses: ['waiting', 'downloading'], provider: '', text: '' };
    void store.loadMore();
    await take('/api/downloads').respond(page([dl({ id: 'a' })], 'c1'));
    void store.loadMore();
    const next = take('/api/downloads');
    await send('download.progress', progress('b', 700));
    await send('download.updated', dl({ id: 'c', status: 'failed' }));
    await next.respond(
      page([dl({ id: 'b', status: 'downloading', bytesTransferred: 10 }), dl({ id: 'c' })]),
    );

    expect(store.rows.order).toEqual(['a', 'b']);
    expect(shown(store, 'b')?.bytesTransferred).toBe(700);
  });
});

describe('the queue store: refreshes asked for while one reads', () => {
  it('run once after it, not each from the start (a reorder storm at 100,000 loaded rows)', async () => {
    const store = await loaded([dl({ id: 'a' }), dl({ id: 'b' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    // The page's own reorder awaits its refresh too, and more moves follow.
    let done = false;
    void store.refreshLoaded().then(() => (done = true));
    await send('downloads.changed', { action: 'reorder', ids: ['b'] });
    await send('downloads.changed', { action: 'set_priority', ids: ['a'] });
    expect(inFlight('/api/downloads')).toBe(1);

    await take('/api/downloads').respond(page([dl({ id: 'a' }), dl({ id: 'b' })]));
    expect(store.rows.order).toEqual(['a', 'b']);
    // Its pages may be older than the later moves: one more read, for all of them.
    expect(inFlight('/api/downloads')).toBe(1);
    expect(done).toBe(false);
    await take('/api/downloads').respond(page([dl({ id: 'b' }), dl({ id: 'a' })]));
    expect(store.rows.order).toEqual(['b', 'a']);
    expect(done).toBe(true);
    expect(inFlight('/api/downloads')).toBe(0);
  });

  it('a reload drops the refresh that waited', async () => {
    const store = await loaded([dl({ id: 'a' })]);
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    await send('downloads.changed', { action: 'reorder', ids: ['a'] });
    const refresh = take('/api/downloads');
    void store.reload();
    await take('/api/downloads').respond(page([dl({ id: 'r' })]));
    await refresh.respond(page([dl({ id: 'a' })]));

    expect(store.rows.order).toEqual(['r']);
    expect(inFlight('/api/downloads')).toBe(0);
  });
});
