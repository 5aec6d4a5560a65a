/**
 * The add / edit form of one indexer or download client: the fields of its type (source-form.ts),
 * secrets as empty password inputs with "set" / "not set", Save and Test. The API's 400 names a
 * field (`settings/url: …`): it is shown on that field and under the form. An environment entry is
 * shown read-only (it can still be tested).
 */
import { useState } from 'preact/hooks';
import { api, apiPath, errorText, ApiError } from '../../api';
import type { DownloadClientDto, SourceDto, SourceTestResult } from '../../types';
import { ErrorLine } from '../shared/ui';
import {
  changeType,
  clientTypesFor,
  emptyForm,
  errorToField,
  fieldsOf,
  isReadOnly,
  ROLE_PATH,
  sourceBody,
  sourceToForm,
  testBody,
  TYPES,
  type FieldErrors,
  type SourceField,
  type SourceForm,
  type SourceRole,
  type SourceType,
} from './source-form';

export const ROLE_NOUN: Record<SourceRole, string> = {
  indexer: 'indexer',
  client: 'download client',
};

/** `/api/indexers/<id>` or `/api/download-clients/<id>`, the id as one encoded segment. */
export function entryPath(role: SourceRole, id: string): string {
  return role === 'indexer' ? apiPath`/api/indexers/${id}` : apiPath`/api/download-clients/${id}`;
}

export type TestState = SourceTestResult | { failed: string } | 'running';

/** POST …/test with a body; a refusal (400, 404) is shown as a failed test. */
export async function runTest(
  role: SourceRole,
  body: Record<string, unknown>,
): Promise<Exclude<TestState, 'running'>> {
  try {
    return await api.send<SourceTestResult>('POST', `${ROLE_PATH[role]}/test`, body);
  } catch (e) {
    return { failed: errorText(e) };
  }
}

export function TestOutcome({ state }: { state: TestState | undefined }) {
  if (!state) return null;
  if (state === 'running')
    return (
      <p class="small muted" data-testid="source-test-result" data-ok="running">
        Testing…
      </p>
    );
  if ('failed' in state)
    return (
      <p class="small error" data-testid="source-test-result" data-ok="false">
        {state.failed}
      </p>
    );
  return (
    <p
      class={state.ok ? 'small ok-text' : 'small error'}
      data-testid="source-test-result"
      data-ok={String(state.ok)}
    >
      {state.ok ? 'Works' : 'Failed'}
      {state.message ? `: ${state.message}` : ''}
    </p>
  );
}

export function SourceEditor({
  role,
  existing,
  clients,
  onSaved,
  onClose,
}: {
  role: SourceRole;
  existing: SourceDto | undefined;
  /** For an indexer's "Download client" choice. */
  clients: readonly DownloadClientDto[];
  onSaved: (entry: SourceDto) => void;
  onClose: () => void;
}) {
  const [form, setForm] = useState<SourceForm>(() =>
    existing ? sourceToForm(existing) : emptyForm(TYPES[role][0] as SourceType),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [test, setTest] = useState<TestState | undefined>(undefined);
  const readOnly = isReadOnly(existing);
  const setValue = (key: string, value: string | boolean) =>
    setForm((old) => ({ ...old, values: { ...old.values, [key]: value } }));

  /** A refusal's message under the form, and on the field it names. */
  const refused = (err: unknown) => {
    const message = errorText(err);
    setApiError(message);
    const field = errorToField(message, form.type);
    if (field) setErrors({ [field.key]: field.message });
    else if (err instanceof ApiError && err.status === 409 && !existing) setErrors({ id: message });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setApiError(null);
    const parsed = sourceBody(form, existing);
    if (!parsed.ok) return setErrors(parsed.errors);
    setErrors({});
    if (existing && Object.keys(parsed.body).length === 0) return onClose();
    setBusy(true);
    try {
      const saved = existing
        ? await api.send<SourceDto>('PATCH', entryPath(role, existing.id), parsed.body)
        : await api.send<SourceDto>('POST', ROLE_PATH[role], parsed.body);
      onSaved(saved);
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  };

  const runFormTest = async () => {
    setApiError(null);
    const parsed = testBody(form, existing);
    if (!parsed.ok) return setErrors(parsed.errors);
    setErrors({});
    setTest('running');
    const result = await runTest(role, parsed.body);
    setTest(result);
    if ('failed' in result) {
      const field = errorToField(result.failed, form.type);
      if (field) setErrors({ [field.key]: field.message });
    }
  };

  const noun = ROLE_NOUN[role];
  return (
    <form
      class="card section"
      data-testid="source-form"
      data-role={role}
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <h3>
        {existing ? `${readOnly ? '' : 'Edit '}${existing.id}` : `New ${noun}`}
        {readOnly && (
          <>
            {' '}
            <span class="badge badge-muted">from the environment</span>
          </>
        )}
      </h3>
      {readOnly && (
        <p class="small muted">
          Set by {role === 'indexer' ? 'SOULSPOT_INDEXERS' : 'SOULSPOT_DOWNLOAD_CLIENTS'}: change it
          there. It can be tested here.
        </p>
      )}
      <fieldset class="plain" disabled={readOnly}>
        <div class="form-grid">
          <label class={`field${errors['id'] ? ' invalid' : ''}`}>
            <span class="label">ID</span>
            <input
              name="id"
              value={form.id}
              disabled={existing !== undefined}
              onInput={(e) => setForm({ ...form, id: (e.currentTarget as HTMLInputElement).value })}
            />
            {!existing && (
              <span class="hint">
                Its name in lists and logs: lower-case letters, digits and -.
              </span>
            )}
            <FieldError name="id" errors={errors} />
          </label>
          <label class="field">
            <span class="label">Type</span>
            <select
              name="type"
              value={form.type}
              disabled={existing !== undefined}
              onChange={(e) =>
                setForm(
                  changeType(form, (e.currentTarget as HTMLSelectElement).value as SourceType),
                )
              }
            >
              {TYPES[role].map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label class="field check">
            <input
              type="checkbox"
              name="enabled"
              checked={form.enabled}
              onChange={(e) =>
                setForm({ ...form, enabled: (e.currentTarget as HTMLInputElement).checked })
              }
            />
            <span>Enabled</span>
          </label>
          {fieldsOf(form.type).map((f) => (
            <Field
              key={f.key}
              field={f}
              value={form.values[f.key]}
              secretSet={existing?.secrets[f.key]?.set === true}
              clientIds={clients
                .filter((c) =>
                  (clientTypesFor(form.type, existing?.settings['protocol']) as string[]).includes(
                    c.type,
                  ),
                )
                .map((c) => c.id)}
              errors={errors}
              onValue={(v) => setValue(f.key, v)}
            />
          ))}
        </div>
      </fieldset>
      <div class="form-actions">
        {!readOnly && (
          <button type="submit" class="primary" disabled={busy} data-testid="source-save">
            {existing ? 'Save' : 'Add'}
          </button>
        )}
        <button
          type="button"
          data-testid="source-form-test"
          disabled={test === 'running'}
          onClick={() => void runFormTest()}
        >
          Test
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <TestOutcome state={test} />
      <ErrorLine error={apiError} testid="source-form-error" />
    </form>
  );
}

function FieldError({ name, errors }: { name: string; errors: FieldErrors }) {
  if (!errors[name]) return null;
  return (
    <p class="error" data-testid={`source-error-${name}`}>
      {errors[name]}
    </p>
  );
}

function Field({
  field: f,
  value,
  secretSet,
  clientIds,
  errors,
  onValue,
}: {
  field: SourceField;
  value: string | boolean | undefined;
  secretSet: boolean;
  clientIds: string[];
  errors: FieldErrors;
  onValue: (value: string | boolean) => void;
}) {
  const invalid = errors[f.key] ? ' invalid' : '';
  const text = String(value ?? '');
  const onInput = (e: Event) => onValue((e.currentTarget as HTMLInputElement).value);
  const hint = f.hint && <span class="hint">{f.hint}</span>;
  if (f.input === 'bool')
    return (
      <label class={`field check wide${invalid}`}>
        <input
          type="checkbox"
          name={f.key}
          checked={value === true}
          onChange={(e) => onValue((e.currentTarget as HTMLInputElement).checked)}
        />
        <span>
          {f.label}
          {f.hint && <span class="hint"> — {f.hint}</span>}
        </span>
        <FieldError name={f.key} errors={errors} />
      </label>
    );
  let input;
  if (f.input === 'mappings')
    input = <textarea name={f.key} rows={3} value={text} onInput={onInput} />;
  else if (f.input === 'client') {
    // The stored choice stays listed even when no such client is configured (yet).
    const ids = text !== '' && !clientIds.includes(text) ? [text, ...clientIds] : clientIds;
    input = (
      <select name={f.key} value={text} onChange={onInput}>
        <option value="">— pick one —</option>
        {ids.map((id) => (
          <option key={id} value={id}>
            {id}
          </option>
        ))}
      </select>
    );
  } else if (f.input === 'secret')
    input = (
      <input
        name={f.key}
        type="password"
        autoComplete="new-password"
        value={text}
        placeholder={secretSet ? 'set (type to replace)' : 'not set'}
        onInput={onInput}
      />
    );
  else
    input = (
      <input
        name={f.key}
        inputMode={f.input === 'url' ? 'url' : f.input === 'number' ? 'numeric' : undefined}
        value={text}
        onInput={onInput}
        aria-invalid={invalid ? true : undefined}
      />
    );
  return (
    <label class={`field${f.input === 'mappings' ? ' wide' : ''}${invalid}`}>
      <span class="label">
        {f.label}
        {f.input === 'secret' && (
          <span class="small muted" data-testid={`source-secret-${f.key}`}>
            {' '}
            ({secretSet ? 'set' : 'not set'})
          </span>
        )}
      </span>
      {input}
      {hint}
      <FieldError name={f.key} errors={errors} />
    </label>
  );
}
