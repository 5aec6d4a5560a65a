import { describe, expect, it } from 'vitest';
import { dl } from './download-fixture';
import { createLiveJournal } from './live-journal';
import { appendPage, emptyRows, NO_FILTER, type ListFilter } from './rows';

const active: ListFilter = { statuses: ['waiting', 'downloading'], provider: '', text: '' };

describe('the live journal of a refresh', () => {
  it('a change that came while the pages were read is not undone by the older page', () => {
    const j = createLiveJournal();
    j.start();
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
    j.replay(next, active, 'queue');
    expect(next.order).toEqual(['b', 'd']);
    expect(next.byId.get('b')?.bytesTransferred).toBe(500);
    expect(j.recording).toBe(false);
  });

  it('replays in arrival order, so the newest state of a row wins', () => {
    const j = createLiveJournal();
    j.start();
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'downloading', priority: 1 }) });
    j.record({ kind: 'update', download: dl({ id: 'a', status: 'waiting', priority: 2 }) });
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a', status: 'waiting', priority: 2 })], true);
    j.replay(next, NO_FILTER, 'queue');
    expect(next.byId.get('a')).toMatchObject({ status: 'waiting', priority: 2 });
  });

  it('records nothing when no refresh is reading, and nothing after it stopped', () => {
    const j = createLiveJournal();
    j.record({ kind: 'remove', ids: ['a'] });
    j.start();
    j.stop();
    j.record({ kind: 'remove', ids: ['a'] });
    const next = emptyRows();
    appendPage(next, [dl({ id: 'a' })], true);
    j.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
  });

  it('a new refresh starts over: what the older one kept is already in the newer pages', () => {
    const j = createLiveJournal();
    j.start();
    j.record({ kind: 'remove', ids: ['a'] });
    j.start();
    const next = emptyRows();
    // Read after "a" was removed and added again (a retry of it): the page is right.
    appendPage(next, [dl({ id: 'a' })], true);
    j.replay(next, NO_FILTER, 'queue');
    expect(next.order).toEqual(['a']);
  });
});
