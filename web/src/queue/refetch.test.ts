import { describe, expect, it } from 'vitest';
import { dl } from './download-fixture';
import { applyRefetch, createRowVersions, pruneRowState } from './refetch';
import { appendPage, emptyRows, NO_FILTER, type ListFilter } from './rows';

const waiting: ListFilter = { statuses: ['waiting'], provider: '', text: '' };

function loaded(...ids: string[]) {
  const rows = emptyRows();
  appendPage(
    rows,
    ids.map((id) => dl({ id })),
    true,
  );
  return rows;
}

describe('applyRefetch', () => {
  it('a network error keeps the row, marked stale; a later answer clears the mark', () => {
    const rows = loaded('a', 'b');
    const stale = new Set<string>();
    expect(
      applyRefetch(rows, stale, 'a', { kind: 'error', message: 'offline' }, NO_FILTER, 'queue'),
    ).toBe(true);
    expect(rows.order).toEqual(['a', 'b']);
    expect([...stale]).toEqual(['a']);
    // A second failure changes nothing more.
    expect(
      applyRefetch(rows, stale, 'a', { kind: 'error', message: 'x' }, NO_FILTER, 'queue'),
    ).toBe(false);
    const fresh = dl({ id: 'a', title: 'Renamed' });
    expect(
      applyRefetch(rows, stale, 'a', { kind: 'found', download: fresh }, NO_FILTER, 'queue'),
    ).toBe(true);
    expect(stale.size).toBe(0);
    expect(rows.byId.get('a')?.title).toBe('Renamed');
  });

  it('404 drops the row; a download that left the filter drops too', () => {
    const rows = loaded('a', 'b');
    const stale = new Set(['a']);
    applyRefetch(rows, stale, 'a', { kind: 'gone' }, NO_FILTER, 'queue');
    expect(rows.order).toEqual(['b']);
    expect(stale.size).toBe(0);
    applyRefetch(
      rows,
      stale,
      'b',
      { kind: 'found', download: dl({ id: 'b', status: 'completed' }) },
      waiting,
      'queue',
    );
    expect(rows.order).toEqual([]);
  });

  it('an error for a row no longer shown marks nothing', () => {
    const rows = loaded('a');
    const stale = new Set<string>();
    expect(
      applyRefetch(rows, stale, 'zz', { kind: 'error', message: 'x' }, NO_FILTER, 'queue'),
    ).toBe(false);
    expect(stale.size).toBe(0);
  });
});

describe('row versions: the newest look at a row wins', () => {
  it('an older answer landing after a newer one is not current', () => {
    const v = createRowVersions();
    const first = v.bump('a');
    const second = v.bump('a');
    expect(v.isCurrent('a', first)).toBe(false);
    expect(v.isCurrent('a', second)).toBe(true);
    v.settle('a', second);
    expect(v.size).toBe(0);
  });

  it('a live update after a refetch started makes that refetch stale', () => {
    const v = createRowVersions();
    const refetch = v.bump('a');
    v.settle('a', v.bump('a')); // download.updated
    expect(v.isCurrent('a', refetch)).toBe(false);
    // Other rows are their own.
    const b = v.bump('b');
    v.bump('c');
    expect(v.isCurrent('b', b)).toBe(true);
  });

  it('settling an old token leaves a newer one in flight', () => {
    const v = createRowVersions();
    const old = v.bump('a');
    const now = v.bump('a');
    v.settle('a', old);
    expect(v.isCurrent('a', now)).toBe(true);
  });
});

describe('pruneRowState', () => {
  it('keeps speeds of shown downloading rows only, and stale marks of shown rows', () => {
    const rows = emptyRows();
    appendPage(
      rows,
      [dl({ id: 'up', status: 'downloading' }), dl({ id: 'done', status: 'completed' })],
      true,
    );
    const speeds = new Map([
      ['up', 100],
      ['done', 200],
      ['left', 300],
    ]);
    const stale = new Set(['done', 'left']);
    pruneRowState(rows, stale, speeds);
    expect([...speeds.keys()]).toEqual(['up']);
    expect([...stale]).toEqual(['done']);
  });
});
