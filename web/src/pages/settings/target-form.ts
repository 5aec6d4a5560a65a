/**
 * The notification target form (pure): a target as inputs, and the body of a create or of an
 * update holding only what changed. Secrets and tokens are write-only: the API says only whether
 * one is set, an empty input keeps it, and "clear" sends null (for a webhook secret, null makes the
 * API generate a new one, shown once).
 */
import type { Target, TargetType } from '../../types';

export interface TargetForm {
  name: string;
  type: TargetType;
  url: string;
  /** Typed in; never filled from the API. */
  secret: string;
  token: string;
  /** Send null for the secret (webhook: rotate) or the token (remove it). */
  clearSecret: boolean;
  clearToken: boolean;
  topic: string;
  clickUrl: string;
  events: string[];
  enabled: boolean;
}

/** Which write-only and extra fields a type uses (src/notifications/target-formats.ts). */
export function fieldsOf(type: TargetType): { secret: boolean; token: boolean; topic: boolean } {
  return {
    secret: type === 'webhook',
    token: type === 'gotify' || type === 'ntfy',
    topic: type === 'ntfy',
  };
}

export const EMPTY_TARGET: TargetForm = {
  name: '',
  type: 'webhook',
  url: '',
  secret: '',
  token: '',
  clearSecret: false,
  clearToken: false,
  topic: '',
  clickUrl: '',
  events: ['download.completed', 'download.failed'],
  enabled: true,
};

export function targetToForm(t: Target): TargetForm {
  return {
    ...EMPTY_TARGET,
    name: t.name,
    type: t.type,
    url: t.url,
    topic: t.topic ?? '',
    clickUrl: t.clickUrl ?? '',
    events: [...t.events],
    enabled: t.enabled,
  };
}

export type TargetParse =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; errors: Partial<Record<keyof TargetForm, string>> };

const HTTP_URL = /^https?:\/\/[^\s/?#]+([/?#]\S*)?$/i;

/**
 * A create body (no `existing`) or an update body (only changed fields; `type` cannot change).
 * Checks what the schema would refuse, so the common mistakes are named before sending.
 */
export function targetBody(form: TargetForm, existing?: Target): TargetParse {
  const errors: Partial<Record<keyof TargetForm, string>> = {};
  const f = fieldsOf(form.type);
  const name = form.name.trim();
  const url = form.url.trim();
  const clickUrl = form.clickUrl.trim();
  const topic = form.topic.trim();
  if (name === '') errors.name = 'required';
  if (!HTTP_URL.test(url) && !(existing && url === existing.url))
    errors.url = 'an http:// or https:// URL';
  if (clickUrl !== '' && !HTTP_URL.test(clickUrl)) errors.clickUrl = 'an http:// or https:// URL';
  if (f.topic && !/^[-_A-Za-z0-9]{1,64}$/.test(topic))
    errors.topic = 'letters, digits, - and _ (up to 64)';
  if (f.secret && form.secret !== '' && form.secret.length < 10)
    errors.secret = 'at least 10 characters';
  if (f.token && form.token !== '' && !/^[\x21-\x7E]{1,500}$/.test(form.token))
    errors.token = 'printable ASCII without spaces';
  if (form.type === 'gotify' && !existing?.hasToken && form.token === '')
    errors.token = 'gotify needs an app token';
  if (form.events.length === 0) errors.events = 'pick at least one event';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const all: Record<string, unknown> = {
    name,
    url,
    clickUrl: clickUrl === '' ? null : clickUrl,
    events: [...form.events],
    enabled: form.enabled,
    ...(f.topic ? { topic } : {}),
  };
  const secret = f.secret ? (form.clearSecret ? null : form.secret || undefined) : undefined;
  const token = f.token ? (form.clearToken ? null : form.token || undefined) : undefined;
  if (!existing) {
    return {
      ok: true,
      body: {
        ...all,
        type: form.type,
        ...(secret ? { secret } : {}),
        ...(token ? { token } : {}),
      },
    };
  }
  const before: Record<string, unknown> = {
    name: existing.name,
    url: existing.url,
    clickUrl: existing.clickUrl,
    events: existing.events,
    enabled: existing.enabled,
    topic: existing.topic,
  };
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const same =
      key === 'events'
        ? JSON.stringify([...(value as string[])].sort()) ===
          JSON.stringify([...existing.events].sort())
        : JSON.stringify(value) === JSON.stringify(before[key]);
    if (!same) body[key] = value;
  }
  if (secret !== undefined) body['secret'] = secret;
  if (token !== undefined) body['token'] = token;
  return { ok: true, body };
}
