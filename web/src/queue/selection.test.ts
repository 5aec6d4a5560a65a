import { describe, expect, it } from 'vitest';
import {
  clickRow,
  EMPTY_SELECTION,
  isSelected,
  pruneSelection,
  rangeBetween,
  selectAllMatching,
  selectedInOrder,
  toggleRow,
} from './selection';

const order = ['a', 'b', 'c', 'd', 'e', 'f'];
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort();

describe('queue selection', () => {
  it('a plain click selects only that row and sets the anchor', () => {
    let s = clickRow(EMPTY_SELECTION, order, 'b');
    s = clickRow(s, order, 'd');
    expect(ids(s)).toEqual(['d']);
    expect(s.anchor).toBe('d');
  });

  it('shift-click selects the range from the anchor, either direction', () => {
    const s = clickRow(clickRow(EMPTY_SELECTION, order, 'b'), order, 'e', { shift: true });
    expect(ids(s)).toEqual(['b', 'c', 'd', 'e']);
    // The anchor stays, so a second shift-click replaces the range.
    const back = clickRow(s, order, 'a', { shift: true });
    expect(ids(back)).toEqual(['a', 'b']);
    expect(back.anchor).toBe('b');
  });

  it('ctrl/cmd-click toggles one row and keeps the rest; ctrl+shift adds a range', () => {
    let s = clickRow(EMPTY_SELECTION, order, 'a');
    s = clickRow(s, order, 'c', { toggle: true });
    expect(ids(s)).toEqual(['a', 'c']);
    s = clickRow(s, order, 'a', { toggle: true });
    expect(ids(s)).toEqual(['c']);
    // The anchor is the last ctrl-clicked row ('a'): ctrl+shift adds a..f to what is selected.
    expect(s.anchor).toBe('a');
    s = clickRow(clickRow(s, order, 'd', { toggle: true }), order, 'f', {
      toggle: true,
      shift: true,
    });
    expect(ids(s)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('shift-click without an anchor on screen acts as a plain click', () => {
    const s = clickRow({ ids: new Set(['zz']), anchor: 'zz', allMatching: false }, order, 'c', {
      shift: true,
    });
    expect(ids(s)).toEqual(['c']);
    expect(rangeBetween(order, 'zz', 'c')).toBeNull();
  });

  it('"all matching" selects every row, loaded or not, until a click', () => {
    const all = selectAllMatching();
    expect(isSelected(all, 'not-loaded')).toBe(true);
    expect(clickRow(all, order, 'b').allMatching).toBe(false);
    expect(toggleRow(EMPTY_SELECTION, 'c').ids.has('c')).toBe(true);
  });

  it('drops rows that left the list, and gives the selection in shown order', () => {
    const s = { ids: new Set(['e', 'a', 'c']), anchor: 'c', allMatching: false };
    const pruned = pruneSelection(s, (id) => id !== 'c');
    expect(ids(pruned)).toEqual(['a', 'e']);
    expect(pruned.anchor).toBeNull();
    expect(pruneSelection(s, () => true)).toBe(s);
    expect(selectedInOrder(s, order)).toEqual(['a', 'c', 'e']);
  });
});
