/**
 * Notification targets on the Settings page: list, create and edit (secrets and tokens are
 * write-only: "set" is shown, never a value), the test button with its outcome, and a target's
 * deliveries.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../../api';
import {
  NOTIFICATION_EVENTS,
  TARGET_TYPES,
  type Delivery,
  type Target,
  type TestResult,
} from '../../types';
import { formatTime } from '../shared/format';
import { Badge, ErrorLine, TableBox } from '../shared/ui';
import { EMPTY_TARGET, fieldsOf, targetBody, targetToForm, type TargetForm } from './target-form';

export function Notifications() {
  const [targets, setTargets] = useState<Target[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** null: no form; 'new'; or the id edited. */
  const [editing, setEditing] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | { failed: string } | 'running'>>(
    {},
  );
  const [deliveriesOf, setDeliveriesOf] = useState<string | null>(null);
  const [oneTimeSecret, setOneTimeSecret] = useState<string | null>(null);

  const load = () =>
    api.get<{ items: Target[] }>('/api/notifications').then(
      (r) => setTargets(r.items),
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => {
    void load();
  }, []);

  const test = async (t: Target) => {
    setTests((old) => ({ ...old, [t.id]: 'running' }));
    try {
      const result = await api.send<TestResult>('POST', apiPath`/api/notifications/${t.id}/test`);
      setTests((old) => ({ ...old, [t.id]: result }));
    } catch (e) {
      setTests((old) => ({ ...old, [t.id]: { failed: errorText(e) } }));
    }
  };

  const remove = async (t: Target) => {
    try {
      await api.send('DELETE', apiPath`/api/notifications/${t.id}`);
      if (editing === t.id) setEditing(null);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const current = editing && editing !== 'new' ? targets?.find((t) => t.id === editing) : undefined;
  return (
    <div data-testid="notifications">
      <div class="toolbar">
        <button type="button" data-testid="target-new" onClick={() => setEditing('new')}>
          Add a target
        </button>
      </div>
      <ErrorLine error={error} testid="notifications-error" />
      {oneTimeSecret && (
        <div class="card" role="status" data-testid="target-secret-once">
          <p>
            The signing secret SoulSpot generated. It is shown this once: copy it into the receiver
            now.
          </p>
          <p class="secret-once">{oneTimeSecret}</p>
          <button type="button" onClick={() => setOneTimeSecret(null)}>
            Done
          </button>
        </div>
      )}
      {editing && (editing === 'new' || current) && (
        <TargetEditor
          key={editing}
          existing={current}
          onSaved={(t) => {
            setEditing(null);
            if (t.secret) setOneTimeSecret(t.secret);
            void load();
          }}
          onClose={() => setEditing(null)}
        />
      )}
      <TableBox testid="targets-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>URL</th>
            <th>Events</th>
            <th>Secret / token</th>
            <th>Enabled</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {targets?.map((t) => {
            const r = tests[t.id];
            return (
              <tr key={t.id} data-testid="target-row" data-id={t.id}>
                <td class="wrap">{t.name}</td>
                <td>{t.type}</td>
                <td class="wrap small">{t.url}</td>
                <td class="wrap small">{t.events.join(', ')}</td>
                <td class="small">
                  {fieldsOf(t.type).secret && (t.hasSecret ? 'secret set' : 'no secret')}
                  {fieldsOf(t.type).token && (t.hasToken ? 'token set' : 'no token')}
                  {!fieldsOf(t.type).secret && !fieldsOf(t.type).token && '—'}
                </td>
                <td class="wrap small" data-testid="target-state">
                  {t.enabled ? 'yes' : 'no'}
                  {t.disabledReason !== null && <div class="error">{t.disabledReason}</div>}
                  {t.retryAfterUntil !== null && (
                    <div>waiting until {new Date(t.retryAfterUntil).toLocaleTimeString()}</div>
                  )}
                </td>
                <td>
                  <div class="toolbar">
                    <button
                      type="button"
                      data-testid="target-test"
                      disabled={r === 'running'}
                      onClick={() => void test(t)}
                    >
                      Test
                    </button>
                    <button type="button" onClick={() => setEditing(t.id)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      onClick={() => setDeliveriesOf(deliveriesOf === t.id ? null : t.id)}
                    >
                      Deliveries
                    </button>
                    <button type="button" class="danger" onClick={() => void remove(t)}>
                      Remove
                    </button>
                  </div>
                  {r && <TestOutcome result={r} />}
                </td>
              </tr>
            );
          })}
          {targets?.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No notification targets.
              </td>
            </tr>
          )}
        </tbody>
      </TableBox>
      {deliveriesOf && <Deliveries id={deliveriesOf} refresh={tests[deliveriesOf]} />}
    </div>
  );
}

function TestOutcome({ result }: { result: TestResult | { failed: string } | 'running' }) {
  if (result === 'running')
    return (
      <span class="small muted" data-testid="target-test-result" data-ok="running">
        Sending…
      </span>
    );
  if ('failed' in result)
    return (
      <span class="small error" data-testid="target-test-result" data-ok="false">
        {result.failed}
      </span>
    );
  return (
    <span
      class={result.ok ? 'small ok-text' : 'small error'}
      data-testid="target-test-result"
      data-ok={String(result.ok)}
    >
      {result.ok ? 'Delivered' : 'Failed'}
      {result.statusCode !== null ? ` (HTTP ${result.statusCode})` : ''} in {result.durationMs} ms
      {result.error ? `: ${result.error}` : ''}
    </span>
  );
}

function Deliveries({ id, refresh }: { id: string; refresh: unknown }) {
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<{ items: Delivery[] }>(apiPath`/api/notifications/${id}/deliveries`, { limit: 50 })
      .then(
        (r) => setItems(r.items),
        (e: unknown) => setError(errorText(e)),
      );
  }, [id, refresh]);
  return (
    <div class="section" data-testid="deliveries">
      <h3>Deliveries</h3>
      <ErrorLine error={error} testid="deliveries-error" />
      <TableBox>
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th class="num">Grouped</th>
            <th class="num">Attempt</th>
            <th>Outcome</th>
            <th class="num">Status</th>
            <th class="num">ms</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {items?.map((d) => (
            <tr key={d.id} data-testid="delivery-row">
              <td>{formatTime(d.at)}</td>
              <td>{d.event}</td>
              <td class="num">{d.count}</td>
              <td class="num">{d.attempt}</td>
              <td>
                <Badge value={d.outcome} />
              </td>
              <td class="num">{d.statusCode ?? '—'}</td>
              <td class="num">{d.durationMs}</td>
              <td class="wrap small">{d.error ?? ''}</td>
            </tr>
          ))}
          {items?.length === 0 && (
            <tr>
              <td colSpan={8} class="muted">
                Nothing delivered yet.
              </td>
            </tr>
          )}
        </tbody>
      </TableBox>
    </div>
  );
}

function TargetEditor({
  existing,
  onSaved,
  onClose,
}: {
  existing: Target | undefined;
  onSaved: (t: Target) => void;
  onClose: () => void;
}) {
  const [form, setForm] = useState<TargetForm>(() =>
    existing ? targetToForm(existing) : EMPTY_TARGET,
  );
  const [errors, setErrors] = useState<Partial<Record<keyof TargetForm, string>>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const f = fieldsOf(form.type);
  const set = <K extends keyof TargetForm>(key: K, value: TargetForm[K]) =>
    setForm((old) => ({ ...old, [key]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setApiError(null);
    const parsed = targetBody(form, existing);
    if (!parsed.ok) return setErrors(parsed.errors);
    setErrors({});
    if (existing && Object.keys(parsed.body).length === 0) return onClose();
    setBusy(true);
    try {
      const saved = existing
        ? await api.send<Target>('PATCH', apiPath`/api/notifications/${existing.id}`, parsed.body)
        : await api.send<Target>('POST', '/api/notifications', parsed.body);
      onSaved(saved);
    } catch (err) {
      setApiError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const err = (key: keyof TargetForm) =>
    errors[key] && (
      <p class="error" data-testid={`target-error-${key}`}>
        {errors[key]}
      </p>
    );
  const cls = (key: keyof TargetForm, extra = '') =>
    `field${extra}${errors[key] ? ' invalid' : ''}`;
  const text = (key: 'name' | 'url' | 'secret' | 'token' | 'topic' | 'clickUrl') => (e: Event) =>
    set(key, (e.currentTarget as HTMLInputElement).value);

  return (
    <form
      class="card section"
      data-testid="target-form"
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <h3>{existing ? `Edit ${existing.name}` : 'New target'}</h3>
      <div class="form-grid">
        <label class={cls('name')}>
          <span class="label">Name</span>
          <input name="name" value={form.name} onInput={text('name')} />
          {err('name')}
        </label>
        <label class="field">
          <span class="label">Type</span>
          <select
            name="type"
            value={form.type}
            disabled={existing !== undefined}
            onChange={(e) =>
              set('type', (e.currentTarget as HTMLSelectElement).value as TargetForm['type'])
            }
          >
            {TARGET_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label class={cls('url', ' wide')}>
          <span class="label">URL</span>
          <input name="url" type="url" value={form.url} onInput={text('url')} />
          {existing && (existing.type === 'discord' || existing.type === 'slack') && (
            <span class="hint">Shown with its path hidden; type the whole URL to change it.</span>
          )}
          {err('url')}
        </label>
        {f.topic && (
          <label class={cls('topic')}>
            <span class="label">Topic</span>
            <input name="topic" value={form.topic} onInput={text('topic')} />
            {err('topic')}
          </label>
        )}
        {f.secret && (
          <label class={cls('secret')}>
            <span class="label">Signing secret</span>
            <input
              name="secret"
              type="password"
              autoComplete="off"
              value={form.secret}
              disabled={form.clearSecret}
              placeholder={existing?.hasSecret ? 'set (type to replace)' : 'empty: generate one'}
              onInput={text('secret')}
            />
            {existing?.hasSecret && (
              <span class="checks">
                <label>
                  <input
                    type="checkbox"
                    checked={form.clearSecret}
                    onChange={(e) =>
                      set('clearSecret', (e.currentTarget as HTMLInputElement).checked)
                    }
                  />
                  generate a new one
                </label>
              </span>
            )}
            {err('secret')}
          </label>
        )}
        {f.token && (
          <label class={cls('token')}>
            <span class="label">{form.type === 'gotify' ? 'App token' : 'Access token'}</span>
            <input
              name="token"
              type="password"
              autoComplete="off"
              value={form.token}
              disabled={form.clearToken}
              placeholder={existing?.hasToken ? 'set (type to replace)' : 'not set'}
              onInput={text('token')}
            />
            {existing?.hasToken && form.type === 'ntfy' && (
              <span class="checks">
                <label>
                  <input
                    type="checkbox"
                    checked={form.clearToken}
                    onChange={(e) =>
                      set('clearToken', (e.currentTarget as HTMLInputElement).checked)
                    }
                  />
                  remove it
                </label>
              </span>
            )}
            {err('token')}
          </label>
        )}
        <label class={cls('clickUrl')}>
          <span class="label">Click URL (optional)</span>
          <input name="clickUrl" type="url" value={form.clickUrl} onInput={text('clickUrl')} />
          {err('clickUrl')}
        </label>
        <label class="field check">
          <input
            type="checkbox"
            name="enabled"
            checked={form.enabled}
            onChange={(e) => set('enabled', (e.currentTarget as HTMLInputElement).checked)}
          />
          <span>Enabled</span>
        </label>
        <div class={cls('events', ' wide')}>
          <span class="label">Events</span>
          <div class="checks">
            {NOTIFICATION_EVENTS.map((ev) => (
              <label key={ev}>
                <input
                  type="checkbox"
                  name="events"
                  value={ev}
                  checked={form.events.includes(ev)}
                  onChange={(e) =>
                    set(
                      'events',
                      (e.currentTarget as HTMLInputElement).checked
                        ? [...form.events, ev]
                        : form.events.filter((x) => x !== ev),
                    )
                  }
                />
                {ev}
              </label>
            ))}
          </div>
          {err('events')}
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy} data-testid="target-save">
          {existing ? 'Save' : 'Add'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorLine error={apiError} testid="target-form-error" />
    </form>
  );
}
