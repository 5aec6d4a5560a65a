import { describe, expect, it } from 'vitest';
import { dl } from './download-fixture';
import {
  appendPage,
  applyDrop,
  applyProgress,
  applyUpdate,
  dropPlan,
  emptyRows,
  etaSeconds,
  keyboardMovePlan,
  matchesFilter,
  NO_FILTER,
  removeIds,
  type ListFilter,
} from './rows';

const active: ListFilter = { statuses: ['waiting', 'downloading'], provider: '', text: '' };

describe('queue rows: events patch rows in place', () => {
  it('a download.updated replaces the row with that id and keeps its place', () => {
    const rows = emptyRows();
    const [a, b, c] = [dl(), dl(), dl()];
    appendPage(rows, [a!, b!, c!], true);
    const next = {
      ...b!,
      status: 'downloading' as const,
      progress: 12.5,
      changed: ['status', 'progress'],
    };
    expect(applyUpdate(rows, next, active, 'queue')).toBe('patched');
    expect(rows.order).toEqual([a!.id, b!.id, c!.id]);
    expect(rows.byId.get(b!.id)!.status).toBe('downloading');
    // `changed` is the event's, not the Download's.
    expect('changed' in rows.byId.get(b!.id)!).toBe(false);
  });

  it('a row that stops matching the filter leaves; an unknown non-matching one is ignored', () => {
    const rows = emptyRows();
    const a = dl();
    appendPage(rows, [a], true);
    expect(applyUpdate(rows, { ...a, status: 'completed' }, active, 'queue')).toBe('removed');
    expect(rows.order).toEqual([]);
    expect(applyUpdate(rows, dl({ status: 'failed' }), active, 'queue')).toBe('ignored');
  });

  it('a new download goes on top when newest first', () => {
    const rows = emptyRows();
    appendPage(rows, [dl(), dl()], false);
    const fresh = dl();
    expect(applyUpdate(rows, fresh, NO_FILTER, 'newest')).toBe('inserted');
    expect(rows.order[0]).toBe(fresh.id);
  });

  it('in queue order it goes after its priority group, or waits for its page', () => {
    const rows = emptyRows();
    const high = dl({ priority: 5 });
    const mid = dl({ priority: 0 });
    const low = dl({ priority: -2 });
    appendPage(rows, [high, mid, low], false);
    const fresh = dl({ priority: 0 });
    expect(applyUpdate(rows, fresh, NO_FILTER, 'queue')).toBe('inserted');
    expect(rows.order).toEqual([high.id, mid.id, fresh.id, low.id]);
    // Lower than everything loaded, more pages to come: its place is not loaded yet.
    expect(applyUpdate(rows, dl({ priority: -9 }), NO_FILTER, 'queue')).toBe('ignored');
    rows.complete = true;
    const last = dl({ priority: -9 });
    expect(applyUpdate(rows, last, NO_FILTER, 'queue')).toBe('inserted');
    expect(rows.order.at(-1)).toBe(last.id);
  });

  it('a page does not duplicate a row an event inserted first', () => {
    const rows = emptyRows();
    const a = dl();
    applyUpdate(rows, a, NO_FILTER, 'newest');
    appendPage(rows, [a, dl()], true);
    expect(rows.order.filter((id) => id === a.id)).toHaveLength(1);
    expect(rows.order).toHaveLength(2);
  });

  it('a download.progress delta changes only the transfer numbers of a shown row', () => {
    const rows = emptyRows();
    const a = dl({ status: 'downloading', size: 1000 });
    appendPage(rows, [a], true);
    expect(
      applyProgress(rows, {
        id: a.id,
        progress: 40,
        bytesTransferred: 400,
        queuePosition: null,
        updatedAt: '2026-01-01T00:00:05.000Z',
        speed: 100,
      }),
    ).toBe(true);
    const row = rows.byId.get(a.id)!;
    expect([row.progress, row.bytesTransferred, row.status]).toEqual([40, 400, 'downloading']);
    expect(etaSeconds(row, 100)).toBe(6);
    expect(etaSeconds(row, undefined)).toBeNull();
    expect(
      applyProgress(rows, {
        id: 'other',
        progress: 1,
        bytesTransferred: 1,
        queuePosition: null,
        updatedAt: '',
      }),
    ).toBe(false);
  });

  it('removes ids', () => {
    const rows = emptyRows();
    const [a, b] = [dl(), dl()];
    appendPage(rows, [a!, b!], true);
    removeIds(rows, [a!.id, 'unknown']);
    expect(rows.order).toEqual([b!.id]);
    expect(rows.byId.has(a!.id)).toBe(false);
  });

  it('matches the server filter: statuses, provider of the source, text in artist/title/album', () => {
    const d = dl({
      artist: 'Röyksopp',
      title: 'Eple',
      album: 'Melody A.M.',
      source: {
        provider: 'slskd',
        username: 'u',
        filename: 'f',
        size: 1,
        extension: 'flac',
        bitRate: null,
        sampleRate: null,
        bitDepth: null,
        lengthSeconds: null,
      },
    });
    expect(matchesFilter(d, { statuses: [], provider: '', text: 'MELODY' })).toBe(true);
    expect(matchesFilter(d, { statuses: [], provider: 'slskd', text: 'eple' })).toBe(true);
    expect(matchesFilter(d, { statuses: [], provider: 'torznab', text: '' })).toBe(false);
    expect(matchesFilter(d, { statuses: ['failed'], provider: '', text: '' })).toBe(false);
    expect(matchesFilter(d, { statuses: [], provider: '', text: 'nothing' })).toBe(false);
  });

  it('folds letters as the server (SQLite lower() and LIKE): ASCII only, non-ASCII exact', () => {
    const d = dl({ artist: 'Ägypten Öl', title: 'CAFÉ Straße', album: 'İstanbul' });
    const has = (text: string) => matchesFilter(d, { statuses: [], provider: '', text });
    // ASCII letters match in any case (each case checked against SQLite's own answer).
    expect(has('GYPTEN')).toBe(true);
    expect(has('caf')).toBe(true);
    expect(has('STRA')).toBe(true);
    // Non-ASCII letters match only as written: the server would not return these rows.
    expect(has('ä')).toBe(false);
    expect(has('ägypten')).toBe(false);
    expect(has('café')).toBe(false);
    expect(has('CAFÉ')).toBe(true);
    expect(has('Ä')).toBe(true);
    expect(has('i̇stanbul')).toBe(false);
    expect(has('İstanbul')).toBe(true);
    expect(has('STRASSE')).toBe(false);
    // Trimmed as the store sends it; wildcards are literal.
    expect(has('  öl  ')).toBe(false);
    expect(has('  Öl  ')).toBe(true);
    expect(has('%')).toBe(false);
  });
});

describe('queue rows: drag-and-drop plans', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];

  it('moves the selection in shown order when the dragged row is selected', () => {
    const plan = dropPlan(order, new Set(['d', 'b']), 'd', 'a', false);
    expect(plan).toEqual({ ids: ['b', 'd'], before: 'a' });
    expect(applyDrop(order, plan!)).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  it('moves just the dragged row when it is not selected', () => {
    const plan = dropPlan(order, new Set(['b']), 'a', 'e', true);
    expect(plan).toEqual({ ids: ['a'], after: 'e' });
    expect(applyDrop(order, plan!)).toEqual(['b', 'c', 'd', 'e', 'a']);
  });

  it('a drop on one of the moved rows changes nothing', () => {
    expect(dropPlan(order, new Set(['b', 'c']), 'b', 'c', true)).toBeNull();
  });
});

describe('queue rows: keyboard moves', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];
  const none = new Set<string>();

  it('moves the focused row one place, and stops at the ends', () => {
    expect(keyboardMovePlan(order, none, 'c', -1)).toEqual({ ids: ['c'], before: 'b' });
    expect(keyboardMovePlan(order, none, 'c', 1)).toEqual({ ids: ['c'], after: 'd' });
    expect(keyboardMovePlan(order, none, 'a', -1)).toBeNull();
    expect(keyboardMovePlan(order, none, 'e', 1)).toBeNull();
    expect(applyDrop(order, keyboardMovePlan(order, none, 'c', 1)!)).toEqual([
      'a',
      'b',
      'd',
      'c',
      'e',
    ]);
  });

  it('moves the selection when the focused row is in it, past the other moved rows', () => {
    const sel = new Set(['b', 'd']);
    const up = keyboardMovePlan(order, sel, 'd', -1)!;
    expect(up).toEqual({ ids: ['b', 'd'], before: 'a' });
    expect(applyDrop(order, up)).toEqual(['b', 'd', 'a', 'c', 'e']);
    const down = keyboardMovePlan(order, sel, 'b', 1)!;
    expect(applyDrop(order, down)).toEqual(['a', 'c', 'e', 'b', 'd']);
    // The focused row outside the selection moves alone.
    expect(keyboardMovePlan(order, sel, 'c', 1)).toEqual({ ids: ['c'], after: 'd' });
    // A contiguous selection at the top cannot go higher.
    expect(keyboardMovePlan(order, new Set(['a', 'b']), 'b', -1)).toBeNull();
  });
});
