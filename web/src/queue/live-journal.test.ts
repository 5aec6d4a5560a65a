import { describe, expect, it } from 'vitest';
import { dl } from './download-fixture';
import { createLiveJournal } from './live-journal';
import { appendPage, emptyRows, NO_FILTER, type ListFilter } from './rows';

const active: ListFilter = { statuses: ['waiting', 'downloading'], provider: '', text: '' };

describe('the live journal of a read', () => {
  it('a change that came while the pages were read is not undone by the older page', () => {
    const j = createLiveJournal();
    const read = j.open();
    // While the refresh reads, "a" finishes (leaves the active filter) and "b" advances.
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'completed' }) });
    j.record({
      kind: 'progress',
      progress: {
        id: 'b',
        progress: 0.5,
        bytesTransferred: 500,
        queuePosition: null,
        updatedAt: '2026-01-01T00:00:01.000Z',
      },
    });
    j.record({ kind: 'remove', ids: ['c'] });
    // The pages were read before those: they still show the old states.
    const next = emptyRows();
    appendPage(
      next,
      [
        dl({ id: 'a', status: 'downloading' }),
        dl({ id: 'b', status: 'downloading', bytesTransferred: 10 }),
        dl({ id: 'c' }),
        dl({ id: 'd' }),
      ],
      true,
    );
    read.replay(next, active, 'queue');
    read.close();
    expect(next.order).toEqual(['b', 'd']);
    expect(next.byId.get('b')?.bytesTransferred).toBe(500);
    expect(j.recording).toBe(false);
    expect(j.size).toBe(0);
  });

  it('replays in arrival order, so the newest state of a row wins', () => {
    const j = createLiveJournal();
    const read = j.open();
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'downloading', priority: 1 }) });
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'waiting', priority: 2 }) });
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a', status: 'waiting', priority: 2 })], true);
    read.replay(next, NO_FILTER, 'queue');
    expect(next.byId.get('a')).toMatchObject({ status: 'waiting', priority: 2 });
  });

  it('records nothing when no read is open, and replays nothing after its read closed', () => {
    const j = createLiveJournal();
    j.record({ kind: 'remove', ids: ['a'] });
    expect(j.size).toBe(0);
    const read = j.open();
    read.close();
    j.record({ kind: 'remove', ids: ['a'] });
    expect(j.size).toBe(0);
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a' })], true);
    read.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
  });

  it('each read replays what came since it opened; what no open read needs is dropped', () => {
    const j = createLiveJournal();
    const first = j.open();
    j.record({ kind: 'remove', ids: ['a'] });
    const second = j.open();
    j.record({ kind: 'remove', ids: ['b'] });
    expect(j.size).toBe(2);
    first.close();
    expect(j.size).toBe(1);
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a' }), dl({ id: 'b' })], true);
    second.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
    second.close();
    expect(j.size).toBe(0);
  });

  it('closeAll ends every read: nothing kept, nothing replayed', () => {
    const j = createLiveJournal();
    const read = j.open();
    j.record({ kind: 'remove', ids: ['a'] });
    j.closeAll();
    expect(j.recording).toBe(false);
    expect(j.size).toBe(0);
    j.record({ kind: 'remove', ids: ['a'] });
    expect(j.size).toBe(0);
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a' })], true);
    read.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
  });

  it('a newer read replays nothing of before it opened: that is in its pages already', () => {
    const j = createLiveJournal();
    j.open();
    j.record({ kind: 'remove', ids: ['a'] });
    const newer = j.open();
    const next = emptyRows();
    // Read after "a" was removed and added again (a retry of it): the page is right.
    appendPage(next, [dl({ id: 'a' })], true);
    newer.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
  });
});

describe('the live journal: bounded while a read stays open', () => {
  const progress = (id: string, bytesTransferred: number) => ({
    kind: 'progress' as const,
    progress: {
      id,
      progress: bytesTransferred / 100,
      bytesTransferred,
      queuePosition: null,
      updatedAt: '2026-01-01T00:00:01.000Z',
    },
  });

  it('keeps one change per row however many come (a page that never answers)', () => {
    const j = createLiveJournal();
    const read = j.open();
    for (let i = 1; i <= 10_000; i++) {
      j.record(progress(`t${i % 3}`, i));
      if (i % 1000 === 1) j.record({ kind: 'update', download: dl({ id: 't0', priority: i }) });
    }
    expect(j.size).toBe(3);

    const next = emptyRows();
    appendPage(next, [dl({ id: 't0' }), dl({ id: 't1' }), dl({ id: 't2' })], true);
    read.replay(next, NO_FILTER, 'queue');
    // The last update of t0 and the progress after it; the last progress of the others.
    expect(next.byId.get('t0')).toMatchObject({ priority: 9001, bytesTransferred: 9999 });
    expect(next.byId.get('t1')?.bytesTransferred).toBe(10_000);
    expect(next.byId.get('t2')?.bytesTransferred).toBe(9998);
  });

  it('a removal is the last word of its row; each id of a removal is kept apart', () => {
    const j = createLiveJournal();
    const read = j.open();
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'downloading' }) });
    j.record({ kind: 'remove', ids: ['a', 'b'] });
    j.record(progress('a', 10));
    j.record({ kind: 'update', download: dl({ id: 'b', status: 'paused' }) });
    expect(j.size).toBe(2);

    const next = emptyRows();
    appendPage(next, [dl({ id: 'a' }), dl({ id: 'b' }), dl({ id: 'c' })], true);
    read.replay(next, NO_FILTER, 'queue');
    // An update after a removal (never sent by the server) is taken as it comes.
    expect(next.byId.has('a')).toBe(false);
    expect([...next.order].sort()).toEqual(['b', 'c']);
    expect(next.byId.get('b')?.status).toBe('paused');
  });
});
