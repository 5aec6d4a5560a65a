/**
 * The Settings page: every live setting (GET /api/settings) in its group with a typed input,
 * saved with PATCH /api/settings (only what changed; errors shown on their field), the naming
 * patterns with a live preview (POST /api/naming/preview, debounced), and notification targets.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import type { NamingPreview, SettingsDto } from '../types';
import { ErrorLine } from './shared/ui';
import { Notifications } from './settings/Notifications';
import {
  buildPatch,
  errorField,
  EVENT_OPTIONS,
  groupSettings,
  toInput,
  type FieldDef,
  type InputValue,
} from './settings/settings-form';
import './pages.css';

const PREVIEW_DELAY_MS = 300;

export function SettingsPage() {
  const [saved, setSaved] = useState<SettingsDto | null>(null);
  const [inputs, setInputs] = useState<Record<string, InputValue>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const groups = useMemo(() => (saved ? groupSettings(saved) : []), [saved]);
  const fill = (s: SettingsDto) => {
    setSaved(s);
    const next: Record<string, InputValue> = {};
    for (const f of groupSettings(s).flatMap((g) => g.fields))
      next[f.key] = toInput(f.input, s[f.key]);
    setInputs(next);
  };

  useEffect(() => {
    api.get<SettingsDto>('/api/settings').then(fill, (e: unknown) => setError(errorText(e)));
  }, []);

  const set = (key: string, value: InputValue) => {
    setStatus(null);
    setInputs((old) => ({ ...old, [key]: value }));
    setErrors((old) => {
      if (!(key in old)) return old;
      const copy = { ...old };
      delete copy[key];
      return copy;
    });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!saved) return;
    setError(null);
    setStatus(null);
    const { patch, errors: local } = buildPatch(groups, saved, inputs);
    setErrors(local);
    if (Object.keys(local).length > 0) return setError('Some values need fixing (marked below).');
    if (Object.keys(patch).length === 0) return setStatus('Nothing changed.');
    setBusy(true);
    try {
      fill(await api.send<SettingsDto>('PATCH', '/api/settings', patch));
      setStatus(`Saved ${Object.keys(patch).length} setting(s).`);
    } catch (err) {
      const message = errorText(err);
      const field = errorField(message, Object.keys(saved));
      if (field) setErrors({ [field.key]: field.message });
      setError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page" data-testid="page-settings">
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      {!saved && !error && <p class="muted">Loading…</p>}
      {saved && (
        <form data-testid="settings-form" onSubmit={(e) => void submit(e)} noValidate>
          {groups.map((g) => (
            <fieldset class="group" key={g.id} data-group={g.id}>
              <legend>{g.title}</legend>
              <div class="form-grid">
                {g.fields.map((f) => (
                  <SettingField
                    key={f.key}
                    field={f}
                    value={inputs[f.key]}
                    error={errors[f.key]}
                    set={set}
                  />
                ))}
              </div>
              {g.id === 'naming' && (
                <NamingPreviewBox
                  namingPattern={String(inputs['namingPattern'] ?? '')}
                  multiDiscNamingPattern={String(inputs['multiDiscNamingPattern'] ?? '')}
                />
              )}
            </fieldset>
          ))}
          <div class="form-actions sticky-actions">
            <button type="submit" class="primary" disabled={busy} data-testid="settings-save">
              Save settings
            </button>
            <button type="button" disabled={busy} onClick={() => saved && fill(saved)}>
              Undo changes
            </button>
            {status && (
              <span class="muted" role="status" data-testid="settings-status">
                {status}
              </span>
            )}
          </div>
          <ErrorLine error={error} testid="settings-error" />
        </form>
      )}
      {!saved && <ErrorLine error={error} testid="settings-error" />}
      <div class="section">
        <h2>Notification targets</h2>
        <Notifications />
      </div>
    </section>
  );
}

function SettingField({
  field: f,
  value,
  error,
  set,
}: {
  field: FieldDef;
  value: InputValue | undefined;
  error: string | undefined;
  set: (key: string, value: InputValue) => void;
}) {
  const input = f.input;
  const wide = ['windows', 'textList', 'pattern', 'events', 'json'].includes(input.kind);
  const cls = `field${wide ? ' wide' : ''}${error ? ' invalid' : ''}${input.kind === 'bool' ? ' check' : ''}`;
  const text = (e: Event) => set(f.key, (e.currentTarget as HTMLInputElement).value);
  const errorLine = error && (
    <p class="error" data-testid={`settings-error-${f.key}`}>
      {error}
    </p>
  );
  const label = (
    <span class={input.kind === 'bool' ? undefined : 'label'}>
      {f.label}
      {f.unit ? ` (${f.unit})` : ''}
    </span>
  );
  switch (input.kind) {
    case 'bool':
      return (
        <label class={cls} data-setting={f.key}>
          <input
            type="checkbox"
            name={f.key}
            checked={value === true}
            onChange={(e) => set(f.key, (e.currentTarget as HTMLInputElement).checked)}
          />
          {label}
          {errorLine}
        </label>
      );
    case 'events': {
      const picked = Array.isArray(value) ? value : [];
      return (
        <div class={cls} data-setting={f.key}>
          {label}
          <div class="checks">
            {EVENT_OPTIONS.map((ev) => (
              <label key={ev}>
                <input
                  type="checkbox"
                  name={f.key}
                  value={ev}
                  checked={picked.includes(ev)}
                  onChange={(e) =>
                    set(
                      f.key,
                      (e.currentTarget as HTMLInputElement).checked
                        ? [...picked, ev]
                        : picked.filter((x) => x !== ev),
                    )
                  }
                />
                {ev}
              </label>
            ))}
          </div>
          {errorLine}
        </div>
      );
    }
    case 'enum':
      return (
        <label class={cls} data-setting={f.key}>
          {label}
          <select name={f.key} value={String(value ?? '')} onChange={text}>
            {input.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          {errorLine}
        </label>
      );
    case 'windows':
    case 'textList':
    case 'json':
      return (
        <label class={cls} data-setting={f.key}>
          {label}
          <textarea name={f.key} rows={3} value={String(value ?? '')} onInput={text} />
          {errorLine}
        </label>
      );
    case 'int':
    case 'number':
      return (
        <label class={cls} data-setting={f.key}>
          {label}
          <input
            name={f.key}
            type="number"
            min={input.min}
            max={input.max}
            step={input.kind === 'int' ? 1 : 'any'}
            value={String(value ?? '')}
            onInput={text}
            aria-invalid={error ? true : undefined}
          />
          {errorLine}
        </label>
      );
    default:
      return (
        <label class={cls} data-setting={f.key}>
          {label}
          <input
            name={f.key}
            type="text"
            value={String(value ?? '')}
            onInput={text}
            aria-invalid={error ? true : undefined}
            spellcheck={input.kind === 'pattern' ? false : undefined}
          />
          {errorLine}
        </label>
      );
  }
}

/** The library paths the patterns being typed give the sample track, asked for after a pause. */
function NamingPreviewBox(props: { namingPattern: string; multiDiscNamingPattern: string }) {
  const [preview, setPreview] = useState<NamingPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      const body: Record<string, string> = {};
      if (props.namingPattern.trim()) body['namingPattern'] = props.namingPattern;
      if (props.multiDiscNamingPattern.trim())
        body['multiDiscNamingPattern'] = props.multiDiscNamingPattern;
      api.send<NamingPreview>('POST', '/api/naming/preview', body).then(
        (p) => {
          if (mine !== seq.current) return;
          setPreview(p);
          setError(null);
        },
        (e: unknown) => mine === seq.current && setError(errorText(e)),
      );
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [props.namingPattern, props.multiDiscNamingPattern]);
  return (
    <div class="section" data-testid="naming-preview" aria-live="polite">
      <span class="label">Preview (a sample track)</span>
      {preview && !error && (
        <>
          <div class="preview" data-testid="naming-preview-standard">
            {preview.examples.standard}
          </div>
          <div class="preview" data-testid="naming-preview-multidisc">
            {preview.examples.multiDisc}
          </div>
        </>
      )}
      <ErrorLine error={error} testid="naming-preview-error" />
    </div>
  );
}
