import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { WIRE_STATUSES, type WireStatus } from '../types';
import type { ListOrder } from './rows';
import type { QueueStore } from './store';

const TEXT_DEBOUNCE_MS = 300;

/** Status (several), provider, text (debounced), and the order; all applied by the server. */
export function Filters({
  store,
  searchRef,
}: {
  store: QueueStore;
  searchRef: { current: HTMLInputElement | null };
}) {
  const f = store.filter.value;
  const [text, setText] = useState(f.text);
  const [providers, setProviders] = useState<string[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    api.get<{ providers: Record<string, unknown> }>('/api/health').then(
      (h) => setProviders(Object.keys(h.providers)),
      () => {},
    );
    return () => clearTimeout(timer.current);
  }, []);

  const apply = (next: Partial<typeof f>, order?: ListOrder) => {
    store.filter.value = { ...store.filter.value, ...next };
    if (order) store.order.value = order;
    store.selection.value = { ids: new Set(), anchor: null, allMatching: false };
    void store.reload();
  };

  const toggleStatus = (s: WireStatus) => {
    const has = f.statuses.includes(s);
    apply({ statuses: has ? f.statuses.filter((x) => x !== s) : [...f.statuses, s] });
  };

  return (
    <div class="filters" role="search">
      <input
        ref={searchRef}
        type="search"
        placeholder="Search artist, title, album  ( / )"
        aria-label="Search"
        data-testid="queue-search"
        value={text}
        maxLength={200}
        onInput={(e) => {
          const v = (e.currentTarget as HTMLInputElement).value;
          setText(v);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => apply({ text: v }), TEXT_DEBOUNCE_MS);
        }}
      />
      <details class="status-filter" data-testid="status-filter">
        <summary>
          Status:{' '}
          {f.statuses.length === 0
            ? 'all'
            : f.statuses.length <= 2
              ? f.statuses.join(', ')
              : `${f.statuses.length} of ${WIRE_STATUSES.length}`}
        </summary>
        <div class="menu">
          {WIRE_STATUSES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                checked={f.statuses.includes(s)}
                onChange={() => toggleStatus(s)}
              />{' '}
              {s}
            </label>
          ))}
          {f.statuses.length > 0 && (
            <button type="button" class="link-button" onClick={() => apply({ statuses: [] })}>
              All statuses
            </button>
          )}
        </div>
      </details>
      <select
        aria-label="Provider"
        data-testid="provider-filter"
        value={f.provider}
        onChange={(e) => apply({ provider: (e.currentTarget as HTMLSelectElement).value })}
      >
        <option value="">All providers</option>
        {providers.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <select
        aria-label="Order"
        data-testid="order-select"
        value={store.order.value}
        onChange={(e) => apply({}, (e.currentTarget as HTMLSelectElement).value as ListOrder)}
      >
        <option value="queue">Queue order</option>
        <option value="newest">Newest first</option>
      </select>
    </div>
  );
}
