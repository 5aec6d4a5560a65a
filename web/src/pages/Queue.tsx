/**
 * The Queue page: the live, virtualized download table with filters, selection and a batch bar,
 * drag-and-drop reordering, add forms, global pause, keyboard shortcuts, and the download drawer
 * (`/queue/<id>`).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { VListHandle } from 'virtua';
import { api, errorText } from '../api';
import { navigate, route } from '../router';
import { showToast } from '../toasts';
import type { BatchResult, QueueOverview, WireStatus } from '../types';
import { AddPanel } from '../queue/AddPanel';
import { BatchBar, runBatch } from '../queue/BatchBar';
import { DownloadDrawer } from '../queue/DownloadDrawer';
import { Filters } from '../queue/Filters';
import { QueueTable, type DropRequest } from '../queue/QueueTable';
import { applyDrop, dropPlan, keyboardMovePlan } from '../queue/rows';
import { askConfirm, ConfirmHost } from '../queue/ConfirmDialog';
import { clickRow, EMPTY_SELECTION, toggleRow } from '../queue/selection';
import { Shortcuts, isTyping } from '../queue/Shortcuts';
import { createQueueStore, type QueueStore } from '../queue/store';

/** The queue view by default: what is not finished yet (History has the rest). */
const DEFAULT_STATUSES: WireStatus[] = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'paused',
  'scheduled',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How many downloads the filter matches, when the overview's counts can tell (no text/provider). */
export function totalFor(
  o: QueueOverview | null,
  statuses: readonly WireStatus[],
  exact: boolean,
): number | null {
  if (!o || !exact) return null;
  if (statuses.length === 0) return Object.values(o.byStatus).reduce((a, b) => a + b, 0);
  let n = 0;
  for (const s of statuses)
    n += s === 'paused' || s === 'scheduled' ? (o.byHold[s] ?? 0) : (o.byStatus[s] ?? 0);
  return n;
}

export function QueuePage() {
  const store = useMemo(() => {
    const s = createQueueStore();
    s.filter.value = { statuses: DEFAULT_STATUSES, provider: '', text: '' };
    return s;
  }, []);
  const listRef = useRef<VListHandle | null>(null);
  const searchRef = useRef<HTMLInputElement | null>(null);
  const [focus, setFocus] = useState(-1);
  const [adding, setAdding] = useState(false);
  const [help, setHelp] = useState(false);
  /** What a keyboard move did, for screen readers (an aria-live region). */
  const [announcement, setAnnouncement] = useState('');
  const openId = route.value.page === 'queue' ? route.value.rest[0] : undefined;
  const drawerId = openId && UUID.test(openId) ? openId : undefined;

  useEffect(() => {
    // The table may have asked for the first page already (child effects run first).
    void store.loadMore();
    void store.loadOverview();
    return () => store.dispose();
  }, [store]);

  void store.version.value;
  const order = store.rows.order;
  const f = store.filter.value;
  const total = totalFor(
    store.overview.value,
    f.statuses,
    f.text.trim() === '' && f.provider === '',
  );
  const reorderable = store.order.value === 'queue';

  const open = (id: string) => navigate(`/queue/${id}`);
  const closeDrawer = () => navigate('/queue');

  const onRowClick = (e: MouseEvent, id: string, index: number) => {
    if ((e.target as HTMLElement).closest('.drag-handle, button, a, input')) return;
    store.selection.value = clickRow(store.selection.value, order, id, {
      shift: e.shiftKey,
      toggle: e.ctrlKey || e.metaKey,
    });
    setFocus(index);
  };

  /** Shows a move at once, sends it to the reorder API, then shows the API's order. */
  const reorder = async (plan: { ids: string[]; before?: string; after?: string }) => {
    store.setOrder(applyDrop(order, plan));
    try {
      const r = await api.send<BatchResult>('POST', '/api/downloads/reorder', plan);
      if (r.failedCount > 0)
        showToast(
          'error',
          'Some downloads could not move',
          r.errors.map((x) => x.message).join('; '),
        );
    } catch (e) {
      showToast('error', 'Reorder failed', errorText(e));
    }
    // The API's order wins over the guess.
    await store.refreshLoaded();
  };

  const onDrop = async ({ dragged, target, after }: DropRequest) => {
    const sel = store.selection.value;
    const plan = dropPlan(order, sel.allMatching ? new Set() : sel.ids, dragged, target, after);
    if (plan) await reorder(plan);
  };

  /** Alt+ArrowUp/Down: the focused row, or the selection it is in, one place up or down. */
  const moveByKey = (direction: -1 | 1) => {
    const focusedId = order[focus];
    if (!focusedId) return;
    if (!reorderable) {
      setAnnouncement('Rows can be moved only in queue order');
      return;
    }
    const sel = store.selection.value;
    const plan = keyboardMovePlan(
      order,
      sel.allMatching ? new Set() : sel.ids,
      focusedId,
      direction,
    );
    if (!plan) {
      setAnnouncement(direction < 0 ? 'Already at the top' : 'Already at the bottom');
      return;
    }
    const next = applyDrop(order, plan).indexOf(focusedId);
    const d = store.rows.byId.get(focusedId);
    const what =
      plan.ids.length > 1 ? `${plan.ids.length} downloads` : d ? `${d.artist} – ${d.title}` : 'Row';
    setFocus(next);
    listRef.current?.scrollToIndex(next, { align: 'nearest' });
    setAnnouncement(`${what} moved to position ${next + 1}`);
    void reorder(plan);
  };

  async function togglePause() {
    const paused = store.overview.value?.paused;
    try {
      store.setOverview(
        await api.send<QueueOverview>('POST', paused ? '/api/queue/resume' : '/api/queue/pause'),
      );
    } catch (e) {
      showToast('error', paused ? 'Resume failed' : 'Pause failed', errorText(e));
    }
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        if (help) setHelp(false);
        else if (drawerId) closeDrawer();
        else if (adding) setAdding(false);
        else store.selection.value = EMPTY_SELECTION;
        if (isTyping(e)) (e.target as HTMLElement).blur();
        return;
      }
      if (e.altKey && !isTyping(e) && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        moveByKey(e.key === 'ArrowUp' ? -1 : 1);
        return;
      }
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const move = (delta: number) => {
        const next = Math.max(0, Math.min(order.length - 1, focus + delta));
        setFocus(next);
        listRef.current?.scrollToIndex(next, { align: 'nearest' });
      };
      const focusedId = order[focus];
      switch (e.key) {
        case '/':
          e.preventDefault();
          searchRef.current?.focus();
          break;
        case 'j':
          move(1);
          break;
        case 'k':
          move(-1);
          break;
        case 'x':
          if (focusedId) store.selection.value = toggleRow(store.selection.value, focusedId);
          break;
        case 'Enter':
          if (focusedId) open(focusedId);
          break;
        case 'a':
          e.preventDefault();
          setAdding(true);
          break;
        case '?':
          setHelp(true);
          break;
        case 'Delete': {
          const sel = store.selection.value;
          if (!sel.allMatching && sel.ids.size === 0) break;
          const what = sel.allMatching
            ? 'every download matching the filter'
            : `${sel.ids.size} download(s)`;
          void (async () => {
            if (!(await askConfirm(`Cancel ${what}?`, 'Cancel'))) return;
            try {
              const r = await runBatch(store, 'cancel');
              showToast('info', 'Cancelled', `${r.successCount} done, ${r.failedCount} failed`);
            } catch (err) {
              showToast('error', 'Cancel failed', errorText(err));
            }
          })();
          break;
        }
        default:
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <section class={drawerId ? 'page queue-page with-drawer' : 'page queue-page'}>
      <div class="queue-main">
        <QueueToolbar
          store={store}
          total={total}
          onAdd={() => setAdding(!adding)}
          onHelp={() => setHelp(true)}
          onPause={() => void togglePause()}
        />
        {adding && <AddPanel onClose={() => setAdding(false)} />}
        <Filters store={store} searchRef={searchRef} />
        <BatchBar store={store} total={total} />
        {store.error.value && (
          <p class="error" role="alert">
            {store.error.value}
          </p>
        )}
        <QueueTable
          store={store}
          focusIndex={focus}
          reorderable={reorderable}
          onRowClick={onRowClick}
          onOpen={open}
          onDrop={(d) => void onDrop(d)}
          listRef={listRef}
        />
      </div>
      {drawerId && <DownloadDrawer id={drawerId} onClose={closeDrawer} />}
      {help && <Shortcuts onClose={() => setHelp(false)} />}
      <ConfirmHost />
      <p class="sr-only" aria-live="polite" role="status" data-testid="queue-announce">
        {announcement}
      </p>
    </section>
  );
}

function QueueToolbar({
  store,
  total,
  onAdd,
  onHelp,
  onPause,
}: {
  store: QueueStore;
  total: number | null;
  onAdd(): void;
  onHelp(): void;
  onPause(): void;
}) {
  const o = store.overview.value;
  const loaded = store.rows.order.length;
  const more = !store.rows.complete;
  return (
    <header class="queue-toolbar">
      <h1>Queue</h1>
      <span class="muted" data-testid="queue-count">
        {total !== null ? `${total} matching` : `${loaded}${more ? '+' : ''} matching`}
        {o ? ` · ${o.slots.working}/${o.slots.maxConcurrent} working` : ''}
      </span>
      {o && !o.timeWindows.open && (
        <span
          class="badge warn"
          data-testid="time-window"
          title={o.timeWindows.changesAt ? `Opens ${o.timeWindows.changesAt}` : ''}
        >
          Outside time window
          {o.timeWindows.changesAt
            ? ` until ${new Date(o.timeWindows.changesAt).toLocaleString()}`
            : ''}
        </span>
      )}
      {o && o.timeWindows.open && o.timeWindows.windows.length > 0 && (
        <span class="badge" data-testid="time-window">
          In time window
        </span>
      )}
      <span class="spacer" />
      <button type="button" class="primary" onClick={onAdd} data-testid="add-button">
        Add
      </button>
      <button
        type="button"
        onClick={onPause}
        data-testid="queue-pause"
        data-paused={o?.paused ? 'true' : 'false'}
        disabled={!o}
      >
        {o?.paused ? 'Resume queue' : 'Pause queue'}
      </button>
      <button type="button" class="link-button" onClick={onHelp} aria-label="Keyboard shortcuts">
        ?
      </button>
    </header>
  );
}
