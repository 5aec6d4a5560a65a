import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import type { BatchAction, BatchFilter, BatchResult } from '../types';
import type { QueueStore } from './store';
import { askConfirm } from './ConfirmDialog';

/** The batch API's filter for "all matching": the list's own filter, in the batch body's shape. */
export function batchFilter(store: QueueStore): BatchFilter {
  const f = store.filter.value;
  return {
    ...(f.statuses.length > 0 ? { status: [...f.statuses] } : {}),
    ...(f.text.trim() ? { text: f.text.trim() } : {}),
  };
}

const ACTIONS: { action: BatchAction; label: string; confirm?: string }[] = [
  { action: 'cancel', label: 'Cancel', confirm: 'Cancel' },
  { action: 'retry', label: 'Retry' },
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  { action: 'remove', label: 'Remove', confirm: 'Remove from the history' },
];

/** Runs one batch action over the selection (ids, or the filter when "all matching"). */
export async function runBatch(
  store: QueueStore,
  action: BatchAction,
  priority?: number,
): Promise<BatchResult> {
  const sel = store.selection.value;
  const body = sel.allMatching
    ? { filter: batchFilter(store), action, ...(priority !== undefined ? { priority } : {}) }
    : { ids: [...sel.ids], action, ...(priority !== undefined ? { priority } : {}) };
  return api.send<BatchResult>('POST', '/api/downloads/batch', body);
}

export function BatchBar({ store, total }: { store: QueueStore; total: number | null }) {
  const sel = store.selection.value;
  const [result, setResult] = useState<{ text: string; errors: BatchResult['errors'] } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const [priority, setPriority] = useState('0');
  const count = sel.allMatching ? total : sel.ids.size;
  if (!sel.allMatching && sel.ids.size === 0 && !result) return null;
  // The batch filter has no provider field: "all matching" with a provider filter would act on more.
  const canSelectAll = store.filter.value.provider === '';

  async function run(action: BatchAction, confirmText?: string, prio?: number) {
    const what = sel.allMatching
      ? 'every download matching the filter'
      : `${sel.ids.size} download(s)`;
    if (confirmText && !(await askConfirm(`${confirmText}: ${what}?`, confirmText))) return;
    setBusy(true);
    try {
      const r = await runBatch(store, action, prio);
      setResult({
        text: `${action}: ${r.successCount} done, ${r.failedCount} failed`,
        errors: r.errors,
      });
    } catch (e) {
      setResult({ text: errorText(e), errors: [] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="batch-bar" data-testid="batch-bar" role="toolbar" aria-label="Selection">
      <span data-testid="batch-count">
        {sel.allMatching
          ? `All matching${count !== null ? ` (${count})` : ''}`
          : `${sel.ids.size} selected`}
      </span>
      {!sel.allMatching && canSelectAll && (
        <button
          type="button"
          class="link-button"
          data-testid="select-all-matching"
          onClick={() =>
            (store.selection.value = { ids: new Set(), anchor: null, allMatching: true })
          }
        >
          Select all matching
        </button>
      )}
      {ACTIONS.map((a) => (
        <button
          key={a.action}
          type="button"
          data-testid={`batch-${a.action}`}
          class={a.action === 'cancel' || a.action === 'remove' ? 'danger' : ''}
          disabled={busy || count === 0}
          onClick={() => void run(a.action, a.confirm)}
        >
          {a.label}
        </button>
      ))}
      <label class="inline">
        Priority
        <input
          type="number"
          min={-1000}
          max={1000}
          step={1}
          value={priority}
          class="narrow"
          data-testid="batch-priority-value"
          onInput={(e) => setPriority((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <button
        type="button"
        data-testid="batch-set_priority"
        disabled={busy || count === 0}
        onClick={() => void run('set_priority', undefined, Number(priority))}
      >
        Set
      </button>
      <button
        type="button"
        class="link-button"
        onClick={() => {
          store.selection.value = { ids: new Set(), anchor: null, allMatching: false };
          setResult(null);
        }}
      >
        Clear
      </button>
      {result && (
        <div class="batch-result" data-testid="batch-result" role="status">
          {result.text}
          {result.errors.length > 0 && (
            <ul class="small">
              {result.errors.slice(0, 10).map((e) => (
                <li key={e.id}>
                  {e.code}: {e.message}
                </li>
              ))}
              {result.errors.length > 10 && <li>… {result.errors.length - 10} more</li>}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
