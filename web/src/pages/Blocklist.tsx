/**
 * The Blocklist page: the entries in force (GET /api/blocklist), an add form checked before it is
 * sent (the API's 400 shown when it still refuses), remove, and the peers' track records. The API
 * has no peer-stats endpoint of its own; the records are GET /api/stats?period=all's `bySource`
 * (downloads, success rate, mean speed per peer, the 100 busiest).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import type { BlocklistEntry, Stats } from '../types';
import { formatRelative, formatTime } from './shared/format';
import { ErrorLine, TableBox } from './shared/ui';
import { GroupTable } from './shared/GroupTable';
import { blocklistBody, type BlocklistForm } from './blocklist/blocklist-form';
import './pages.css';

const EMPTY: BlocklistForm = { username: '', filename: '', reason: '', expiresInDays: '' };

export function BlocklistPage() {
  const [entries, setEntries] = useState<BlocklistEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [peers, setPeers] = useState<Stats['bySource'] | null>(null);
  const [peersError, setPeersError] = useState<string | null>(null);
  const [form, setForm] = useState<BlocklistForm>(EMPTY);

  const load = () =>
    api.get<{ items: BlocklistEntry[] }>('/api/blocklist').then(
      (r) => setEntries(r.items),
      (e: unknown) => setError(errorText(e)),
    );

  useEffect(() => {
    void load();
    api.get<Stats>('/api/stats', { period: 'all', top: 100 }).then(
      (s) => setPeers(s.bySource),
      (e: unknown) => setPeersError(errorText(e)),
    );
  }, []);

  const remove = async (entry: BlocklistEntry) => {
    setError(null);
    try {
      await api.send('DELETE', apiPath`/api/blocklist/${entry.id}`);
      setEntries((old) => old?.filter((e) => e.id !== entry.id) ?? null);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const blocked = new Set(entries?.filter((e) => e.filename === null).map((e) => e.username));

  return (
    <section class="page" data-testid="page-blocklist">
      <div class="page-head">
        <h1>Blocklist</h1>
      </div>
      <AddForm form={form} setForm={setForm} onAdded={() => void load()} />
      <ErrorLine error={error} testid="blocklist-error" />
      <div class="section">
        <h2>Blocked sources</h2>
        <TableBox testid="blocklist-table">
          <thead>
            <tr>
              <th>Peer</th>
              <th>File</th>
              <th>Reason</th>
              <th>By</th>
              <th class="num">Failures</th>
              <th>Added</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {entries?.map((e) => (
              <tr key={e.id} data-testid="blocklist-row" data-id={e.id}>
                <td class="wrap">{e.username}</td>
                <td class="wrap">{e.filename ?? <span class="muted">every file</span>}</td>
                <td class="wrap">{e.reason ?? ''}</td>
                <td>{e.source}</td>
                <td class="num">{e.failureCount}</td>
                <td>{formatTime(e.createdAt)}</td>
                <td title={e.expiresAt ? formatTime(e.expiresAt) : undefined}>
                  {e.expiresAt ? formatRelative(e.expiresAt) : 'never'}
                </td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    data-testid="blocklist-remove"
                    onClick={() => void remove(e)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {entries?.length === 0 && (
              <tr>
                <td colSpan={8} class="muted">
                  Nothing is blocked.
                </td>
              </tr>
            )}
          </tbody>
        </TableBox>
      </div>
      <div class="section">
        <h2>Peers' track records</h2>
        <p class="muted small">All time, the 100 peers with the most finished downloads.</p>
        <ErrorLine error={peersError} testid="peers-error" />
        {peers && <GroupTable rows={peers} first="Peer" testid="peer-records" />}
        {peers && peers.length > 0 && (
          <div class="toolbar">
            <span class="muted small">Block a peer:</span>
            {peers
              .filter((p) => !blocked.has(p.name))
              .slice(0, 10)
              .map((p) => (
                <button
                  key={p.name}
                  type="button"
                  class="small"
                  onClick={() => setForm({ ...EMPTY, username: p.name })}
                >
                  {p.name}
                </button>
              ))}
          </div>
        )}
      </div>
    </section>
  );
}

function AddForm({
  form,
  setForm,
  onAdded,
}: {
  form: BlocklistForm;
  setForm: (f: BlocklistForm) => void;
  onAdded: () => void;
}) {
  const [errors, setErrors] = useState<Partial<Record<keyof BlocklistForm, string>>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setApiError(null);
    setDone(null);
    const parsed = blocklistBody(form);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const entry = await api.send<BlocklistEntry>('POST', '/api/blocklist', parsed.body);
      setForm(EMPTY);
      setDone(`Blocked ${entry.username}${entry.filename ? ` (${entry.filename})` : ''}`);
      onAdded();
    } catch (err) {
      setApiError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const field = (key: keyof BlocklistForm, label: string, props: Record<string, unknown> = {}) => (
    <label class={errors[key] ? 'field invalid' : 'field'}>
      <span class="label">{label}</span>
      <input
        name={key}
        value={form[key]}
        onInput={(e) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value })}
        aria-invalid={errors[key] ? true : undefined}
        {...props}
      />
      {errors[key] && (
        <p class="error" data-testid={`blocklist-error-${key}`}>
          {errors[key]}
        </p>
      )}
    </label>
  );

  return (
    <form class="card" data-testid="blocklist-form" onSubmit={(e) => void submit(e)} noValidate>
      <div class="form-grid">
        {field('username', 'Peer (user name)', { required: true, maxLength: 100 })}
        {field('filename', 'File (empty: every file of the peer)', { maxLength: 500 })}
        {field('reason', 'Reason', { maxLength: 1000 })}
        {field('expiresInDays', 'Expires in days (empty: never)', {
          inputMode: 'decimal',
          placeholder: 'never',
        })}
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          Block
        </button>
        {done && (
          <span class="muted" data-testid="blocklist-added" role="status">
            {done}
          </span>
        )}
      </div>
      <ErrorLine error={apiError} testid="blocklist-form-error" />
    </form>
  );
}
