/**
 * The History page: finished downloads (completed, failed, cancelled) newest first from
 * GET /api/downloads, filtered by status, paged by its keyset cursor ("Load more"), kept current
 * from the event stream, with CSV and JSON export links for the same filter.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import { subscribe } from '../events';
import type { Download, DownloadPage } from '../types';
import { formatBytes, formatTime } from './shared/format';
import { Badge, ErrorLine, TableBox } from './shared/ui';
import {
  exportHref,
  FINISHED_STATUSES,
  historyStatuses,
  inHistory,
  upsertFirst,
} from './history/history-query';
import './pages.css';

const PAGE_SIZE = 100;

export function HistoryPage() {
  const [selected, setSelected] = useState<string[]>([]);
  const [items, setItems] = useState<Download[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (from: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const page = await api.get<DownloadPage>('/api/downloads', {
          status: historyStatuses(selected),
          limit: PAGE_SIZE,
          cursor: from,
        });
        setItems((old) => (from ? [...old, ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (e) {
        setError(errorText(e));
      } finally {
        setLoading(false);
      }
    },
    [selected],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  // Downloads finishing while the page is open join the top; removed ones leave.
  useEffect(() => {
    const upsert = (d: Download) => {
      setItems((old) =>
        inHistory(d.status, selected) ? upsertFirst(old, d) : old.filter((x) => x.id !== d.id),
      );
    };
    const off = [
      subscribe('download.completed', upsert),
      subscribe('download.failed', upsert),
      subscribe('download.updated', (d) => {
        setItems((old) => {
          if (inHistory(d.status, selected)) return upsertFirst(old, d);
          return old.some((x) => x.id === d.id) ? old.filter((x) => x.id !== d.id) : old;
        });
      }),
      subscribe('downloads.changed', (c) => {
        if (c.action === 'remove') setItems((old) => old.filter((x) => !c.ids.includes(x.id)));
      }),
    ];
    return () => off.forEach((f) => f());
  }, [selected]);

  const toggle = (status: string) =>
    setSelected((old) =>
      old.includes(status) ? old.filter((s) => s !== status) : [...old, status],
    );

  const retry = async (d: Download) => {
    try {
      const updated = await api.send<Download>('POST', apiPath`/api/downloads/${d.id}/retry`);
      setItems((old) =>
        inHistory(updated.status, selected)
          ? upsertFirst(old, updated)
          : old.filter((x) => x.id !== d.id),
      );
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="page" data-testid="page-history">
      <div class="page-head">
        <h1>History</h1>
        <a class="button-link" href={exportHref('csv', selected)} data-testid="export-csv" download>
          Export CSV
        </a>
        <a
          class="button-link"
          href={exportHref('json', selected)}
          data-testid="export-json"
          download
        >
          Export JSON
        </a>
      </div>
      <form class="toolbar" data-testid="history-filters" onSubmit={(e) => e.preventDefault()}>
        <span class="muted">Status:</span>
        <div class="checks">
          {FINISHED_STATUSES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                name="status"
                value={s}
                checked={selected.includes(s)}
                onChange={() => toggle(s)}
              />
              {s}
            </label>
          ))}
        </div>
        <button type="button" onClick={() => void load(null)} disabled={loading}>
          Refresh
        </button>
      </form>
      <ErrorLine error={error} testid="history-error" />
      <TableBox testid="history-table">
        <thead>
          <tr>
            <th>Finished</th>
            <th>Status</th>
            <th>Artist</th>
            <th>Title</th>
            <th>Album</th>
            <th>Source</th>
            <th class="num">Size</th>
            <th>Error / library path</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-testid="history-row" data-id={d.id} data-status={d.status}>
              <td>{formatTime(d.completedAt ?? d.updatedAt)}</td>
              <td>
                <Badge value={d.status} />
              </td>
              <td class="wrap">{d.artist}</td>
              <td class="wrap">{d.title}</td>
              <td class="wrap">{d.album ?? ''}</td>
              <td class="wrap">
                {d.source ? (
                  <>
                    {d.source.username}
                    <br />
                    <span class="muted small">{d.source.filename}</span>
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td class="num">{formatBytes(d.size ?? d.source?.size)}</td>
              <td class="wrap">
                {d.status === 'completed' ? (
                  <span class="small">{d.libraryPath ?? ''}</span>
                ) : (
                  <span class="small error">
                    {[d.errorCode, d.errorMessage].filter(Boolean).join(': ')}
                  </span>
                )}
              </td>
              <td>
                {d.status !== 'completed' && (
                  <button type="button" onClick={() => void retry(d)}>
                    Retry
                  </button>
                )}
              </td>
            </tr>
          ))}
          {items.length === 0 && !loading && (
            <tr>
              <td colSpan={9} class="muted">
                No finished downloads{selected.length > 0 ? ' with this status' : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </TableBox>
      <div class="form-actions">
        {cursor && (
          <button
            type="button"
            data-testid="history-more"
            disabled={loading}
            onClick={() => void load(cursor)}
          >
            Load more
          </button>
        )}
        <span class="muted small">
          {items.length} shown{loading ? ' · loading…' : ''}
        </span>
      </div>
    </section>
  );
}
