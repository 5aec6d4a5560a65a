/**
 * The Sources page: the indexers (GET /api/indexers) and download clients
 * (GET /api/download-clients) SoulSpot searches and downloads through, each with its health, an
 * enable switch, its place in the order (up / down PATCH the positions), Test, Edit and Delete;
 * read again when a provider's health or circuit changes.
 * Entries from SOULSPOT_INDEXERS / SOULSPOT_DOWNLOAD_CLIENTS are read-only. Ids, URLs and errors
 * come from the user or from remote services: they are rendered as text only (Preact escapes
 * them), never as HTML.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { subscribe } from '../events';
import { ConfirmHost, askConfirm } from '../queue/ConfirmDialog';
import type { DownloadClientDto, IndexerDto, SourceDto } from '../types';
import { formatRelative } from './shared/format';
import { Badge, ErrorLine, TableBox } from './shared/ui';
import {
  entryPath,
  ROLE_NOUN,
  runTest,
  SourceEditor,
  TestOutcome,
  type TestState,
} from './sources/SourceEditor';
import {
  entryUrl,
  isReadOnly,
  moveUpdates,
  ROLE_PATH,
  type SourceRole,
} from './sources/source-form';
import './pages.css';

export function SourcesPage() {
  const [indexers, setIndexers] = useState<IndexerDto[] | null>(null);
  const [clients, setClients] = useState<DownloadClientDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const [i, c] = await Promise.all([
        api.get<{ items: IndexerDto[] }>(ROLE_PATH.indexer),
        api.get<{ items: DownloadClientDto[] }>(ROLE_PATH.client),
      ]);
      // In the API's order: the environment's first, then by position.
      setIndexers(i.items);
      setClients(c.items);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void load();
    // Health changes as the monitor sees it: the list again (it carries each entry's health).
    const off = [
      subscribe('provider.health', () => void load()),
      subscribe('provider.circuit', () => void load()),
    ];
    return () => off.forEach((f) => f());
  }, []);

  return (
    <section class="page" data-testid="page-sources">
      <div class="page-head">
        <h1>Sources</h1>
        <button type="button" data-testid="sources-refresh" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p class="muted small">
        Where SoulSpot looks after Soulseek: Torznab and Newznab indexers, searched in this order,
        and the download clients that fetch what they find.
      </p>
      <ErrorLine error={error} testid="sources-error" />
      <SourceSection
        role="indexer"
        title="Indexers"
        items={indexers}
        clients={clients ?? []}
        reload={load}
      />
      <SourceSection
        role="client"
        title="Download clients"
        items={clients}
        clients={clients ?? []}
        reload={load}
      />
      <ConfirmHost />
    </section>
  );
}

function SourceSection({
  role,
  title,
  items,
  clients,
  reload,
}: {
  role: SourceRole;
  title: string;
  items: SourceDto[] | null;
  clients: DownloadClientDto[];
  reload: () => Promise<void>;
}) {
  /** null: no form; 'new'; or the id shown. */
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestState | undefined>>({});
  const [busy, setBusy] = useState(false);
  /** An enable switch as clicked, until the list read again says so too. */
  const [switching, setSwitching] = useState<Record<string, boolean>>({});

  /** One or more writes, then the list read again; a refusal is shown above the table. */
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorText(e));
    } finally {
      await reload();
      setBusy(false);
    }
  };

  const test = async (entry: SourceDto) => {
    setTests((old) => ({ ...old, [entry.id]: 'running' }));
    const result = await runTest(role, { id: entry.id });
    setTests((old) => ({ ...old, [entry.id]: result }));
  };

  const remove = async (entry: SourceDto) => {
    const ok = await askConfirm(`Delete the ${ROLE_NOUN[role]} ${entry.id}?`, 'Delete');
    if (!ok) return;
    await act(async () => {
      await api.send('DELETE', entryPath(role, entry.id));
      if (editing === entry.id) setEditing(null);
    });
  };

  const toggle = async (entry: SourceDto) => {
    const enabled = !entry.enabled;
    setSwitching((old) => ({ ...old, [entry.id]: enabled }));
    await act(() => api.send('PATCH', entryPath(role, entry.id), { enabled }));
    setSwitching(({ [entry.id]: _done, ...rest }) => rest);
  };

  const move = (entry: SourceDto, dir: -1 | 1) => {
    const updates = moveUpdates(items ?? [], entry.id, dir);
    if (!updates) return;
    return act(async () => {
      for (const u of updates)
        await api.send('PATCH', entryPath(role, u.id), { position: u.position });
    });
  };

  const current = editing && editing !== 'new' ? items?.find((x) => x.id === editing) : undefined;
  const list = items ?? [];
  return (
    <div class="section" data-testid={`sources-${role}`}>
      <div class="page-head">
        <h2>{title}</h2>
        <button type="button" data-testid={`source-new-${role}`} onClick={() => setEditing('new')}>
          Add {role === 'indexer' ? 'an indexer' : 'a download client'}
        </button>
      </div>
      <ErrorLine error={error} testid={`sources-${role}-error`} />
      {editing && (editing === 'new' || current) && (
        <SourceEditor
          key={editing}
          role={role}
          existing={current}
          clients={clients}
          onSaved={(saved) => {
            setEditing(null);
            setTests((old) => ({ ...old, [saved.id]: undefined }));
            void reload();
          }}
          onClose={() => setEditing(null)}
        />
      )}
      <TableBox testid={`sources-${role}-table`}>
        <thead>
          <tr>
            <th class="num">Order</th>
            <th>ID</th>
            <th>Type</th>
            <th>URL</th>
            <th>Enabled</th>
            <th>Health</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((entry, i) => {
            const readOnly = isReadOnly(entry);
            const h = entry.health;
            return (
              <tr
                key={entry.id}
                data-testid="source-row"
                data-id={entry.id}
                data-source={entry.source}
              >
                <td class="num">
                  <span class="small">{i + 1}</span>{' '}
                  <button
                    type="button"
                    class="link-button"
                    aria-label={`Move ${entry.id} up`}
                    data-testid="source-up"
                    disabled={busy || !moveUpdates(list, entry.id, -1)}
                    onClick={() => void move(entry, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="link-button"
                    aria-label={`Move ${entry.id} down`}
                    data-testid="source-down"
                    disabled={busy || !moveUpdates(list, entry.id, 1)}
                    onClick={() => void move(entry, 1)}
                  >
                    ↓
                  </button>
                </td>
                <td class="wrap">
                  {entry.id}
                  {readOnly && (
                    <div class="small muted" data-testid="source-environment">
                      from the environment
                    </div>
                  )}
                </td>
                <td>{entry.type}</td>
                <td class="wrap small">{entryUrl(entry)}</td>
                <td>
                  <input
                    type="checkbox"
                    data-testid="source-enabled"
                    aria-label={`${entry.id} enabled`}
                    checked={switching[entry.id] ?? entry.enabled}
                    disabled={busy || readOnly}
                    onChange={() => void toggle(entry)}
                  />
                </td>
                <td class="wrap small" data-testid="source-health" data-state={h.state}>
                  <Badge value={h.state} />
                  {h.circuit !== 'closed' && (
                    <>
                      {' '}
                      <span class="muted">circuit {h.circuit}</span>
                    </>
                  )}
                  {h.lastError && (
                    <div class="error" data-testid="source-last-error">
                      {h.lastError}
                    </div>
                  )}
                  {h.lastCheckedAt && (
                    <div class="muted">checked {formatRelative(h.lastCheckedAt)}</div>
                  )}
                </td>
                <td>
                  <div class="toolbar">
                    <button
                      type="button"
                      data-testid="source-test"
                      disabled={tests[entry.id] === 'running'}
                      onClick={() => void test(entry)}
                    >
                      Test
                    </button>
                    <button
                      type="button"
                      data-testid="source-edit"
                      onClick={() => setEditing(entry.id)}
                    >
                      {readOnly ? 'View' : 'Edit'}
                    </button>
                    {!readOnly && (
                      <button
                        type="button"
                        class="danger"
                        data-testid="source-delete"
                        disabled={busy}
                        onClick={() => void remove(entry)}
                      >
                        Delete
                      </button>
                    )}
                  </div>
                  <TestOutcome state={tests[entry.id]} />
                </td>
              </tr>
            );
          })}
          {items?.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No {role === 'indexer' ? 'indexers' : 'download clients'} yet.
              </td>
            </tr>
          )}
        </tbody>
      </TableBox>
    </div>
  );
}
