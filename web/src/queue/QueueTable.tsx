/**
 * The virtualized table (virtua: only the rows in view and a small buffer are in the DOM) and
 * drag-and-drop reordering (SortableJS with MultiDrag, on the rendered window).
 *
 * SortableJS moves DOM nodes, which Preact owns. So the drag never lets it: `onMove` only marks
 * the row under the pointer (before/after) and returns false, and after the drop the list is
 * remounted (at the same scroll offset), dropping whatever MultiDrag re-inserted. The drop
 * itself becomes a reorder request; the store shows the guessed order, then the API's.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import Sortable, { MultiDrag } from 'sortablejs';
import { VList, type VListHandle } from 'virtua';
import { QueueHeader, QueueRow, ROW_HEIGHT } from './QueueRow';
import { isSelected } from './selection';
import type { QueueStore } from './store';

Sortable.mount(new MultiDrag());

/** virtua wraps each row in its own positioned element: the container's children are those. */
const rowId = (item: Element | null | undefined): string | undefined =>
  (item?.firstElementChild as HTMLElement | null)?.dataset.id;

export interface DropRequest {
  dragged: string;
  target: string;
  after: boolean;
}

interface Props {
  store: QueueStore;
  focusIndex: number;
  reorderable: boolean;
  onRowClick(e: MouseEvent, id: string, index: number): void;
  onOpen(id: string): void;
  onDrop(drop: DropRequest): void;
  /** The list's handle, for keyboard moves (scrollToIndex). */
  listRef: { current: VListHandle | null };
}

/** Rows left below the viewport when the next page is asked for. */
const PREFETCH_ROWS = 60;

export function QueueTable({
  store,
  focusIndex,
  reorderable,
  onRowClick,
  onOpen,
  onDrop,
  listRef,
}: Props) {
  void store.version.value;
  const order = store.rows.order;
  const byId = store.rows.byId;
  const sel = store.selection.value;
  const wrapper = useRef<HTMLDivElement>(null);
  const [mountKey, setMountKey] = useState(0);
  const restoreOffset = useRef<number | null>(null);
  const dropRef = useRef(onDrop);
  dropRef.current = onDrop;

  const maybeLoadMore = (offset: number) => {
    const list = listRef.current;
    if (!list) return;
    const last = list.findItemIndex(offset + list.viewportSize);
    if (last >= order.length - PREFETCH_ROWS) void store.loadMore();
  };

  // A fresh list (after a drop) goes back to where the old one was.
  useLayoutEffect(() => {
    if (restoreOffset.current !== null && listRef.current) {
      listRef.current.scrollTo(restoreOffset.current);
      restoreOffset.current = null;
    }
  }, [mountKey]);

  // Short lists: the first page may not fill the view, so ask for the next one at once.
  useEffect(() => {
    maybeLoadMore(listRef.current?.scrollOffset ?? 0);
  });

  useEffect(() => {
    const container = wrapper.current?.querySelector<HTMLElement>('.queue-list > div');
    if (!reorderable || !container) return;
    let target: { el: HTMLElement; after: boolean } | null = null;
    const mark = (next: typeof target) => {
      target?.el.classList.remove('drop-before', 'drop-after');
      target = next;
      target?.el.classList.add(next?.after ? 'drop-after' : 'drop-before');
    };
    const sortable = Sortable.create(container, {
      handle: '.drag-handle',
      draggable: '.queue-list > div > div',
      multiDrag: true,
      selectedClass: 'drag-selected',
      avoidImplicitDeselect: true,
      forceFallback: true,
      fallbackOnBody: true,
      animation: 0,
      onMove(evt) {
        const el = evt.related as HTMLElement;
        if (rowId(el) && el !== evt.dragged) mark({ el, after: evt.willInsertAfter === true });
        return false;
      },
      onEnd(evt) {
        const dragged = rowId(evt.item);
        const drop = target;
        mark(null);
        restoreOffset.current = listRef.current?.scrollOffset ?? 0;
        setMountKey((k) => k + 1);
        const id = rowId(drop?.el);
        if (drop && dragged && id && id !== dragged)
          dropRef.current({ dragged, target: id, after: drop.after });
      },
    });
    return () => {
      mark(null);
      sortable.destroy();
    };
  }, [reorderable, mountKey]);

  // MultiDrag's own selection follows the page's, for the rows in the DOM.
  useLayoutEffect(() => {
    const container = wrapper.current?.querySelector<HTMLElement>('.queue-list > div');
    if (!reorderable || !container) return;
    for (const el of Array.from(container.children) as HTMLElement[]) {
      const id = rowId(el);
      const want = id !== undefined && isSelected(sel, id) && !sel.allMatching;
      if (want !== el.classList.contains('drag-selected')) {
        if (want) Sortable.utils.select(el);
        else Sortable.utils.deselect(el);
      }
    }
  });

  return (
    <div class="queue-table" role="grid" aria-rowcount={order.length} ref={wrapper}>
      <QueueHeader />
      <VList
        key={mountKey}
        ref={listRef as never}
        class="queue-list"
        data={order}
        itemSize={ROW_HEIGHT}
        onScroll={maybeLoadMore}
      >
        {(id: string, index: number) => {
          const d = byId.get(id);
          if (!d) return <div key={id} class="queue-row" />;
          return (
            <QueueRow
              key={id}
              d={d}
              index={index}
              selected={isSelected(sel, id)}
              focused={index === focusIndex}
              draggable={reorderable}
              speed={store.speeds.get(id)}
              stale={store.stale.has(id)}
              onRowClick={onRowClick}
              onOpen={onOpen}
            />
          );
        }}
      </VList>
      {order.length === 0 && !store.loading.value && (
        <p class="muted empty" data-testid="queue-empty">
          No downloads match.
        </p>
      )}
      {store.loading.value && <p class="muted small loading">Loading…</p>}
    </div>
  );
}
