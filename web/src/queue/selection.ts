/**
 * Row selection of the queue table, pure: click selects one, ctrl/cmd-click toggles one,
 * shift-click selects the range from the anchor (the last plain or ctrl click) to the row, and
 * "all matching" stands for every row the filter matches, loaded or not (batch by filter).
 */

export interface Selection {
  ids: ReadonlySet<string>;
  /** Where a shift-click range starts. */
  anchor: string | null;
  /** Every download matching the current filter, not just the ids (the batch API's `filter`). */
  allMatching: boolean;
}

export const EMPTY_SELECTION: Selection = { ids: new Set(), anchor: null, allMatching: false };

export interface ClickModifiers {
  shift?: boolean;
  /** ctrl on Linux/Windows, cmd on macOS. */
  toggle?: boolean;
}

/** The selection after a click on `id`; `order` is the rows as shown (loaded ones). */
export function clickRow(
  sel: Selection,
  order: readonly string[],
  id: string,
  mods: ClickModifiers = {},
): Selection {
  if (mods.shift && sel.anchor !== null) {
    const range = rangeBetween(order, sel.anchor, id);
    if (range) {
      const ids = new Set(mods.toggle ? sel.ids : []);
      for (const r of range) ids.add(r);
      return { ids, anchor: sel.anchor, allMatching: false };
    }
  }
  if (mods.toggle) {
    const ids = new Set(sel.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: id, allMatching: false };
  }
  return { ids: new Set([id]), anchor: id, allMatching: false };
}

/** Toggles one row (the `x` key, a row's checkbox), keeping the rest. */
export function toggleRow(sel: Selection, id: string): Selection {
  return clickRow(sel, [], id, { toggle: true });
}

/** The ids from `a` to `b` inclusive, in shown order; null when either is not shown. */
export function rangeBetween(order: readonly string[], a: string, b: string): string[] | null {
  const i = order.indexOf(a);
  const j = order.indexOf(b);
  if (i < 0 || j < 0) return null;
  return order.slice(Math.min(i, j), Math.max(i, j) + 1);
}

export function selectAllMatching(): Selection {
  return { ids: new Set(), anchor: null, allMatching: true };
}

/** Rows that left the list (removed, or no longer matching) leave the selection too. */
export function pruneSelection(sel: Selection, present: (id: string) => boolean): Selection {
  if (sel.allMatching) return sel;
  let changed = false;
  const ids = new Set<string>();
  for (const id of sel.ids) {
    if (present(id)) ids.add(id);
    else changed = true;
  }
  if (!changed) return sel;
  return {
    ids,
    anchor: sel.anchor !== null && present(sel.anchor) ? sel.anchor : null,
    allMatching: false,
  };
}

export function isSelected(sel: Selection, id: string): boolean {
  return sel.allMatching || sel.ids.has(id);
}

/** The selected ids in shown order (what a drag moves, in that order). */
export function selectedInOrder(sel: Selection, order: readonly string[]): string[] {
  return order.filter((id) => sel.ids.has(id));
}
