/**
 * The Sources page's pure parts: an entry as inputs (its type's fields, source-fields.ts) and
 * back, the body of a create, an update or a test, the field an API error names, and the position
 * changes of a move. Secrets are write-only: the API says only whether one
 * is set, the input starts empty, and an empty input is left out (the stored secret stays).
 * Entries from SOULSPOT_INDEXERS / SOULSPOT_DOWNLOAD_CLIENTS (`source: 'environment'`) are
 * read-only: shown and tested, never sent.
 */
import type { SourceDto } from '../../types';
import { FIELDS, type SourceField, type SourceType } from './source-fields';

export * from './source-fields';

export interface SourceForm {
  id: string;
  type: SourceType;
  enabled: boolean;
  /** By settings key: texts, and booleans for checkboxes. Secrets start empty. */
  values: Record<string, string | boolean>;
}

export type FieldErrors = Record<string, string>;
export type SourceParse =
  { ok: true; body: Record<string, unknown> } | { ok: false; errors: FieldErrors };

/** A type this UI does not know (a newer server) has no fields: shown, not editable. */
export function fieldsOf(type: SourceType): readonly SourceField[] {
  return (FIELDS as Partial<Record<string, readonly SourceField[]>>)[type] ?? [];
}

export function isReadOnly(entry: SourceDto | undefined): boolean {
  return entry?.source === 'environment';
}

export function emptyForm(type: SourceType): SourceForm {
  const values: Record<string, string | boolean> = {};
  for (const f of fieldsOf(type)) values[f.key] = f.initial ?? (f.input === 'bool' ? false : '');
  return { id: '', type, enabled: true, values };
}

/** A form of another type keeps what the two share (the id, the URL…). */
export function changeType(form: SourceForm, type: SourceType): SourceForm {
  const next = emptyForm(type);
  for (const key of Object.keys(next.values))
    if (key in form.values) next.values[key] = form.values[key] as string | boolean;
  return { ...next, id: form.id, enabled: form.enabled };
}

function mappingsText(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return value
    .map((m: { remote?: unknown; local?: unknown }) => `${String(m.remote)} => ${String(m.local)}`)
    .join('\n');
}

export function sourceToForm(entry: SourceDto): SourceForm {
  const values: Record<string, string | boolean> = {};
  for (const f of fieldsOf(entry.type)) {
    const v = entry.settings[f.key];
    if (f.input === 'secret') values[f.key] = '';
    else if (f.input === 'bool') values[f.key] = v === true;
    else if (f.input === 'ints') values[f.key] = Array.isArray(v) ? v.join(', ') : '';
    else if (f.input === 'mappings') values[f.key] = mappingsText(v);
    else values[f.key] = v === undefined || v === null ? '' : String(v);
  }
  return { id: entry.id, type: entry.type, enabled: entry.enabled, values };
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+([/?#]\S*)?$/i;
/** The API's id: a slug (src/sources/sources.dto.ts SOURCE_ID_PATTERN). */
const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** One input as the API takes it: a value, `undefined` for "leave it out", or an error. */
function parseField(
  f: SourceField,
  raw: string | boolean | undefined,
  secretSet: boolean,
): { value?: unknown; error?: string } {
  if (f.input === 'bool') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  if (f.input === 'secret') {
    if (text !== '') return { value: text };
    return f.required && !secretSet ? { error: 'required' } : {};
  }
  const trimmed = text.trim();
  if (trimmed === '' && f.input === 'mappings') return { value: [] };
  if (trimmed === '') return f.required ? { error: 'required' } : {};
  switch (f.input) {
    case 'url':
      return HTTP_URL.test(trimmed) ? { value: trimmed } : { error: 'an http:// or https:// URL' };
    case 'number':
      return /^\d+$/.test(trimmed) ? { value: Number(trimmed) } : { error: 'a whole number' };
    case 'ints': {
      const parts = trimmed.split(/[\s,]+/).filter((p) => p !== '');
      return parts.every((p) => /^\d+$/.test(p))
        ? { value: parts.map(Number) }
        : { error: 'whole numbers, separated by commas' };
    }
    case 'mappings': {
      const out: { remote: string; local: string }[] = [];
      for (const line of trimmed.split('\n')) {
        if (line.trim() === '') continue;
        const at = line.indexOf('=>');
        const remote = at < 0 ? '' : line.slice(0, at).trim();
        const local = at < 0 ? '' : line.slice(at + 2).trim();
        if (remote === '' || local === '') return { error: 'one a line: remote => local' };
        out.push({ remote, local });
      }
      return { value: out };
    }
    default:
      return { value: trimmed };
  }
}

/** A new entry's settings: each value given (a blank optional one is left to the API's default). */
function newSettings(form: SourceForm): { settings: Record<string, unknown>; errors: FieldErrors } {
  const settings: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const f of fieldsOf(form.type)) {
    const r = parseField(f, form.values[f.key], false);
    if (r.error) errors[f.key] = r.error;
    else if (r.value !== undefined) settings[f.key] = r.value;
  }
  return { settings, errors };
}

const KEPT = 'the API keeps a value once set: type one';

/**
 * What differs from a stored entry's settings (PATCH replaces the fields given and keeps the
 * rest): the changed values, and a secret only when one was typed. A field emptied goes back to
 * its default; one without a default cannot be emptied (the API would keep it).
 */
function changedSettings(
  form: SourceForm,
  existing: SourceDto,
): { settings: Record<string, unknown>; errors: FieldErrors } {
  const settings: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const f of fieldsOf(form.type)) {
    const r = parseField(f, form.values[f.key], existing.secrets[f.key]?.set === true);
    if (r.error) {
      errors[f.key] = r.error;
      continue;
    }
    if (f.input === 'secret') {
      if (r.value !== undefined) settings[f.key] = r.value;
      continue;
    }
    const before = existing.settings[f.key];
    let value = r.value;
    if (value === undefined) {
      if (before === undefined) continue;
      if (f.initial === undefined) {
        errors[f.key] = KEPT;
        continue;
      }
      value = parseField(f, f.initial, false).value;
    }
    const same =
      f.input === 'bool'
        ? (value === true) === (before === true)
        : JSON.stringify(value) === JSON.stringify(before);
    if (!same) settings[f.key] = value;
  }
  return { settings, errors };
}

const READ_ONLY = 'set in the environment: read-only here';

/**
 * A create body (no `existing`): `{ id, type, enabled, settings }`. An update body holds only what
 * changed: `enabled`, and in `settings` the fields changed and a secret typed (a blank secret is
 * left out, so the stored one stays). The type and id cannot change.
 */
export function sourceBody(form: SourceForm, existing?: SourceDto): SourceParse {
  if (existing && isReadOnly(existing)) return { ok: false, errors: { id: READ_ONLY } };
  if (existing) {
    const { settings, errors } = changedSettings(form, existing);
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    return {
      ok: true,
      body: {
        ...(form.enabled !== existing.enabled ? { enabled: form.enabled } : {}),
        ...(Object.keys(settings).length > 0 ? { settings } : {}),
      },
    };
  }
  const { settings, errors } = newSettings(form);
  const id = form.id.trim();
  if (id === '') errors['id'] = 'required';
  else if (!ID.test(id)) errors['id'] = 'lower-case letters, digits and - (up to 40)';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, body: { id, type: form.type, enabled: form.enabled, settings } };
}

/**
 * The body of `POST …/test`: a new entry's `{ type, settings }` (no id needed yet), a stored one's
 * `{ id, settings }` with only the changes (its stored secret is used unless one is typed), an
 * environment entry's `{ id }`.
 */
export function testBody(form: SourceForm, existing?: SourceDto): SourceParse {
  if (!existing) {
    const { settings, errors } = newSettings(form);
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    return { ok: true, body: { type: form.type, settings } };
  }
  if (isReadOnly(existing)) return { ok: true, body: { id: existing.id } };
  const { settings, errors } = changedSettings(form, existing);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: { id: existing.id, ...(Object.keys(settings).length > 0 ? { settings } : {}) },
  };
}

const TOP_LEVEL = ['id', 'type', 'enabled', 'position'];

/**
 * The form field a 400's message names: `settings/url: must be a URL` → url; also with a leading
 * `body/` or `/`, and a nested path (`settings/pathMappings/0/remote …` → pathMappings).
 */
export function errorToField(
  message: string,
  type: SourceType,
): { key: string; message: string } | null {
  const m = /^(?:body)?\/?(settings\/)?([A-Za-z0-9_]+)(?:\/[^\s:]*)?(?::\s*|\s+|$)(.*)$/s.exec(
    message.trim(),
  );
  if (!m || !m[2]) return null;
  const key = m[2];
  const known = m[1]
    ? fieldsOf(type).some((f) => f.key === key)
    : TOP_LEVEL.includes(key) || fieldsOf(type).some((f) => f.key === key);
  if (!known) return null;
  const rest = (m[3] ?? '').trim();
  return { key, message: rest === '' ? 'is invalid' : rest };
}

/**
 * The PATCHes that move one entry a place up (-1) or down (+1) among the listed ones (in their
 * order, the API's): it and its neighbour swap positions (PATCH stores a position as given; on a
 * tie the one going later gets the next number). Null when it cannot move: at an end, or next to
 * an environment entry (those come first and keep their place).
 */
export function moveUpdates(
  items: readonly SourceDto[],
  id: string,
  dir: -1 | 1,
): { id: string; position: number }[] | null {
  const i = items.findIndex((x) => x.id === id);
  const me = items[i];
  const other = items[i + dir];
  if (!me || !other || isReadOnly(me) || isReadOnly(other)) return null;
  if (me.position !== other.position)
    return [
      { id: me.id, position: other.position },
      { id: other.id, position: me.position },
    ];
  // A tie (positions are never below 0): the one going later gets the next number.
  return dir < 0
    ? [
        { id: me.id, position: me.position },
        { id: other.id, position: me.position + 1 },
      ]
    : [
        { id: me.id, position: me.position + 1 },
        { id: other.id, position: me.position },
      ];
}

/** A listed entry's URL, for the table (a string from the API: shown as text). */
export function entryUrl(entry: SourceDto): string {
  const url = entry.settings['url'];
  return typeof url === 'string' ? url : '';
}
