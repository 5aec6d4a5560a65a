/**
 * The Quality profiles page: the list, and an editor for one profile or a new one. Every condition
 * has its fields and a "required" switch (required ones reject a file, the rest rank it). On save
 * only the changed fields are sent; the API's 400 (it names the field) is shown beside the form
 * and on that field.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import { subscribe } from '../events';
import type { QualityProfile } from '../types';
import { ErrorLine } from './shared/ui';
import {
  CONDITIONS,
  IDENTITY_FIELDS,
  PROFILE_KEYS,
  profileChanges,
  profileToForm,
  type ProfileField,
  type ProfileFormValues,
} from './profiles/profile-form';
import { errorField } from './settings/settings-form';
import './pages.css';

/** What the editor shows: a profile by id, or a new one copied from a base. */
type Editing = { kind: 'edit'; id: string } | { kind: 'new'; baseId: string } | null;

export function ProfilesPage() {
  const [profiles, setProfiles] = useState<QualityProfile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = () =>
    api.get<{ items: QualityProfile[] }>('/api/quality-profiles').then(
      (r) => {
        setProfiles(r.items);
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );

  useEffect(() => {
    void load();
    return subscribe('quality-profile.changed', () => void load());
  }, []);

  // Two clicks rather than confirm(): no browser dialog (the end-to-end tests fail on any).
  const [confirming, setConfirming] = useState<string | null>(null);
  const remove = async (p: QualityProfile) => {
    if (confirming !== p.id) return setConfirming(p.id);
    setConfirming(null);
    try {
      await api.send('DELETE', apiPath`/api/quality-profiles/${p.id}`);
      if (editing?.kind === 'edit' && editing.id === p.id) setEditing(null);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const current =
    editing?.kind === 'edit'
      ? profiles?.find((p) => p.id === editing.id)
      : editing?.kind === 'new'
        ? profiles?.find((p) => p.id === editing.baseId)
        : undefined;

  return (
    <section class="page" data-testid="page-profiles">
      <div class="page-head">
        <h1>Quality profiles</h1>
        <button
          type="button"
          class="primary"
          data-testid="profile-new"
          disabled={!profiles?.length}
          onClick={() => {
            const base = profiles?.find((p) => p.isDefault) ?? profiles?.[0];
            if (base) setEditing({ kind: 'new', baseId: base.id });
          }}
        >
          New profile
        </button>
      </div>
      <ErrorLine error={error} testid="profiles-error" />
      <div class="split">
        <ul class="check-list" data-testid="profile-list">
          {profiles?.map((p) => (
            <li
              key={p.id}
              data-testid="profile-item"
              data-id={p.id}
              class={editing?.kind === 'edit' && editing.id === p.id ? 'selected' : undefined}
            >
              <div class="grow">
                <button
                  type="button"
                  class="link-button"
                  onClick={() => setEditing({ kind: 'edit', id: p.id })}
                >
                  {p.name}
                </button>{' '}
                {p.isDefault && <span class="badge badge-info">default</span>}{' '}
                {p.builtIn && <span class="badge badge-muted">built-in</span>}
                <div class="small muted">{p.description}</div>
                <div class="small">
                  Requires: {p.required.length > 0 ? p.required.join(', ') : 'nothing'}
                </div>
              </div>
              {!p.builtIn && !p.isDefault && (
                <button
                  type="button"
                  class="danger"
                  data-testid="profile-delete"
                  onClick={() => void remove(p)}
                  onBlur={() => setConfirming(null)}
                >
                  {confirming === p.id ? 'Really delete?' : 'Delete'}
                </button>
              )}
            </li>
          ))}
        </ul>
        <div>
          {notice && (
            <p class="muted" role="status" data-testid="profile-saved">
              {notice}
            </p>
          )}
          {editing && current && (
            <ProfileEditor
              key={editing.kind === 'edit' ? editing.id : `new-${editing.baseId}`}
              base={current}
              isNew={editing.kind === 'new'}
              profiles={profiles ?? []}
              onBase={(id) => setEditing({ kind: 'new', baseId: id })}
              onSaved={(p) => {
                // In the list at once, so the editor can show it before the reload answers.
                setProfiles((old) => [...(old ?? []).filter((x) => x.id !== p.id), p]);
                setEditing({ kind: 'edit', id: p.id });
                setNotice(`Saved ${p.name}.`);
                void load();
              }}
              onClose={() => setEditing(null)}
              onChange={() => setNotice(null)}
            />
          )}
          {!editing && <p class="muted">Pick a profile to edit it, or make a new one.</p>}
        </div>
      </div>
    </section>
  );
}

function ProfileEditor({
  base,
  isNew,
  profiles,
  onBase,
  onSaved,
  onClose,
  onChange,
}: {
  base: QualityProfile;
  isNew: boolean;
  profiles: QualityProfile[];
  onBase: (id: string) => void;
  onSaved: (p: QualityProfile) => void;
  onClose: () => void;
  onChange: () => void;
}) {
  const [form, setForm] = useState<ProfileFormValues>(() => ({
    ...profileToForm(base),
    ...(isNew ? { name: '', isDefault: false } : {}),
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (key: string, value: string | boolean | string[]) => {
    onChange();
    setForm((f) => ({ ...f, [key]: value }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setApiError(null);
    onChange();
    const { body, errors: local } = profileChanges(base, form);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    if (!isNew && Object.keys(body).length === 0) return onSaved(base);
    setBusy(true);
    try {
      const profile = isNew
        ? await api.send<QualityProfile>('POST', '/api/quality-profiles', {
            ...body,
            name: typeof form['name'] === 'string' ? form['name'].trim() : '',
            copyOf: base.id,
          })
        : await api.send<QualityProfile>('PATCH', apiPath`/api/quality-profiles/${base.id}`, body);
      onSaved(profile);
    } catch (err) {
      const message = errorText(err);
      setApiError(message);
      const field = errorField(message, PROFILE_KEYS);
      if (field) setErrors({ [field.key]: field.message });
    } finally {
      setBusy(false);
    }
  };

  const required = Array.isArray(form['required']) ? form['required'] : [];
  return (
    <form class="card" data-testid="profile-form" onSubmit={(e) => void submit(e)} noValidate>
      <h2>{isNew ? 'New profile' : `Edit ${base.name}`}</h2>
      {isNew && (
        <label class="field">
          <span class="label">Start from</span>
          <select
            name="copyOf"
            value={base.id}
            onChange={(e) => onBase((e.currentTarget as HTMLSelectElement).value)}
          >
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="form-grid">
        {IDENTITY_FIELDS.map((f) => (
          <Field key={f.key} field={f} form={form} set={set} error={errors[f.key]} />
        ))}
      </div>
      {CONDITIONS.map((c) => (
        <fieldset class="group" key={c.name} data-condition={c.name}>
          <legend>{c.label}</legend>
          <div class="form-grid">
            {c.fields.map((f) => (
              <Field key={f.key} field={f} form={form} set={set} error={errors[f.key]} />
            ))}
            {c.requirable && (
              <label class="field check">
                <input
                  type="checkbox"
                  name={`required-${c.name}`}
                  checked={required.includes(c.name)}
                  onChange={(e) =>
                    set(
                      'required',
                      (e.currentTarget as HTMLInputElement).checked
                        ? [...required, c.name]
                        : required.filter((n) => n !== c.name),
                    )
                  }
                />
                <span>Required (else preferred: it ranks)</span>
              </label>
            )}
          </div>
        </fieldset>
      ))}
      {errors['required'] && (
        <p class="error" data-testid="profile-error-required">
          {errors['required']}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy} data-testid="profile-save">
          {isNew ? 'Create' : 'Save'}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorLine error={apiError} testid="profile-error" />
    </form>
  );
}

function Field({
  field: f,
  form,
  set,
  error,
}: {
  field: ProfileField;
  form: ProfileFormValues;
  set: (key: string, value: string | boolean) => void;
  error: string | undefined;
}) {
  const value = form[f.key];
  const cls = `field${error ? ' invalid' : ''}${f.input === 'textarea' || f.input === 'lines' ? ' wide' : ''}`;
  const text = (e: Event) => set(f.key, (e.currentTarget as HTMLInputElement).value);
  const errorLine = error && (
    <p class="error" data-testid={`profile-error-${f.key}`}>
      {error}
    </p>
  );
  if (f.input === 'bool')
    return (
      <label class={`${cls} check`}>
        <input
          type="checkbox"
          name={f.key}
          checked={value === true}
          onChange={(e) => set(f.key, (e.currentTarget as HTMLInputElement).checked)}
        />
        <span>{f.label}</span>
        {errorLine}
      </label>
    );
  return (
    <label class={cls}>
      <span class="label">{f.label}</span>
      {f.input === 'textarea' || f.input === 'lines' ? (
        <textarea name={f.key} rows={3} value={String(value ?? '')} onInput={text} />
      ) : (
        <input
          name={f.key}
          value={String(value ?? '')}
          onInput={text}
          inputMode={f.input === 'number' || f.input === 'bound' ? 'decimal' : undefined}
          placeholder={f.input === 'bound' ? 'none' : undefined}
          aria-invalid={error ? true : undefined}
        />
      )}
      {errorLine}
    </label>
  );
}
