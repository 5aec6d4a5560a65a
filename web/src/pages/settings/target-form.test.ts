import { describe, expect, it } from 'vitest';
import type { Target } from '../../types';
import { EMPTY_TARGET, targetBody, targetToForm } from './target-form';

const HOOK: Target = {
  id: 't1',
  name: 'Hook',
  type: 'webhook',
  url: 'https://example.com/hook',
  topic: null,
  clickUrl: null,
  events: ['download.completed', 'download.failed'],
  enabled: true,
  hasSecret: true,
  hasToken: false,
  disabledReason: null,
  retryAfterUntil: null,
};

describe('targetBody: create', () => {
  it('sends the fields of the type; an empty secret lets the API generate one', () => {
    expect(
      targetBody({ ...EMPTY_TARGET, name: ' Hook ', url: 'https://example.com/hook' }),
    ).toEqual({
      ok: true,
      body: {
        name: 'Hook',
        type: 'webhook',
        url: 'https://example.com/hook',
        clickUrl: null,
        events: ['download.completed', 'download.failed'],
        enabled: true,
      },
    });
  });

  it('sends topic and token for ntfy, and no secret', () => {
    const r = targetBody({
      ...EMPTY_TARGET,
      type: 'ntfy',
      name: 'n',
      url: 'https://ntfy.sh',
      topic: 'soul_spot',
      token: 'tk_abc',
      secret: 'ignored-secret',
    });
    expect(r).toMatchObject({ ok: true, body: { topic: 'soul_spot', token: 'tk_abc' } });
    expect(r.ok && 'secret' in r.body).toBe(false);
  });

  it('names each bad field', () => {
    expect(
      targetBody({
        ...EMPTY_TARGET,
        type: 'gotify',
        url: 'ftp://x',
        clickUrl: 'javascript:alert(1)',
        events: [],
      }),
    ).toEqual({
      ok: false,
      errors: {
        name: 'required',
        url: 'an http:// or https:// URL',
        clickUrl: 'an http:// or https:// URL',
        token: 'gotify needs an app token',
        events: 'pick at least one event',
      },
    });
    expect(
      targetBody({ ...EMPTY_TARGET, type: 'ntfy', name: 'n', url: 'https://a', topic: 'a b' }),
    ).toMatchObject({ ok: false, errors: { topic: expect.any(String) as unknown } });
  });
});

describe('targetBody: update', () => {
  it('sends nothing for an unchanged form, and never a secret the form does not hold', () => {
    expect(targetBody(targetToForm(HOOK), HOOK)).toEqual({ ok: true, body: {} });
    expect(targetToForm(HOOK).secret).toBe('');
  });

  it('sends the changed fields, a new secret, or null to rotate it', () => {
    const form = {
      ...targetToForm(HOOK),
      enabled: false,
      events: ['queue.idle'],
      secret: 'whsec_0123456789',
    };
    expect(targetBody(form, HOOK)).toEqual({
      ok: true,
      body: { enabled: false, events: ['queue.idle'], secret: 'whsec_0123456789' },
    });
    expect(targetBody({ ...targetToForm(HOOK), clearSecret: true }, HOOK)).toEqual({
      ok: true,
      body: { secret: null },
    });
  });

  it('keeps a masked URL as it is (Discord and Slack URLs are shown with their path hidden)', () => {
    const discord: Target = { ...HOOK, type: 'discord', url: 'https://discord.com/api/webhooks/…' };
    expect(targetBody(targetToForm(discord), discord)).toEqual({ ok: true, body: {} });
  });
});
