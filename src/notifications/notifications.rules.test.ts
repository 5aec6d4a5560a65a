import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  DELIVERY_MAX_ATTEMPTS,
  DELIVERY_RETRY_SECONDS,
  deliveryRetryDelayMs,
} from './delivery-schedule.js';
import { composeMessage, MESSAGE_NAMES } from './message.js';
import { NOTIFICATION_EVENTS, NOTIFICATION_ROUTES } from './notification-events.js';
import { generateSecret, isValidSecret, signature } from './signing.js';
import {
  headerText,
  maskedUrl,
  scrub,
  TARGET_FORMATS,
  TARGET_TYPES,
  targetSecrets,
  type Target,
} from './target-formats.js';

const SAMPLE: Record<string, Record<string, unknown>> = {
  'download.completed': { artist: 'A', title: 'T', album: 'Al', status: 'completed' },
  'download.failed': { artist: 'A', title: 'T', errorCode: 'no_results', status: 'failed' },
  'album.completed': { artist: 'A', album: 'Al', trackCount: 9 },
  'batch.completed': { action: 'cancel', total: 10, successCount: 9, failedCount: 1 },
  'provider.offline': { provider: 'slskd', message: 'slskd is unreachable' },
  'provider.online': { provider: 'slskd' },
  'disk.low': { path: '/lib', freeBytes: 500 * 1_048_576, thresholdBytes: 1024 * 1_048_576 },
  'queue.idle': { at: '2024-01-01T00:00:00.000Z' },
};

describe('notification routing table', () => {
  it('has one row per event, each with a line, titles for one and many, and a valid priority', () => {
    expect(Object.keys(NOTIFICATION_ROUTES).sort()).toEqual([...NOTIFICATION_EVENTS].sort());
    for (const event of NOTIFICATION_EVENTS) {
      const route = NOTIFICATION_ROUTES[event];
      const item = route.item(SAMPLE[event]!);
      expect(item.line.length, event).toBeGreaterThan(3);
      expect(route.title(1, item.line).length).toBeGreaterThan(3);
      expect(route.title(3, item.line)).not.toBe('');
      expect(route.priority).toBeGreaterThanOrEqual(1);
      expect(route.priority).toBeLessThanOrEqual(5);
      expect(route.tags.length).toBeGreaterThan(0);
    }
    expect(NOTIFICATION_ROUTES['disk.low'].item(SAMPLE['disk.low']!).line).toBe(
      'Library disk space low: 500 MB free (warning below 1,024 MB)',
    );
  });

  it('retries for at least 24 hours, even with the shortest jitter', () => {
    const shortest = DELIVERY_RETRY_SECONDS.reduce(
      (sum, _s, i) => sum + deliveryRetryDelayMs(i + 1, DELIVERY_RETRY_SECONDS, () => 0),
      0,
    );
    expect(shortest).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(DELIVERY_MAX_ATTEMPTS).toBe(DELIVERY_RETRY_SECONDS.length + 1);
    // Growing: a target down briefly is retried soon, one down for hours is not hammered.
    for (let i = 1; i < DELIVERY_RETRY_SECONDS.length; i++)
      expect(DELIVERY_RETRY_SECONDS[i]!).toBeGreaterThanOrEqual(DELIVERY_RETRY_SECONDS[i - 1]!);
  });

  it('groups many events into one message with a few names', () => {
    const items = Array.from({ length: 500 }, (_, i) =>
      NOTIFICATION_ROUTES['download.completed'].item({ artist: `A${i}`, title: `T${i}` }),
    );
    const m = composeMessage('msg_1', 'download.completed', items, 0);
    expect(m.title).toBe('500 downloads completed');
    expect(m.count).toBe(500);
    expect(m.body.split('\n')).toHaveLength(MESSAGE_NAMES + 1);
    expect(m.body.split('\n').at(-1)).toBe('…and 495 more');
    const one = composeMessage('msg_2', 'download.completed', items.slice(0, 1), 0);
    expect(one.title).toBe('Downloaded: A0 – T0');
    expect(one.body).toBe('A0 – T0');
  });
});

describe('target formats', () => {
  const target = (type: Target['type'], extra: Partial<Target> = {}): Target => ({
    id: 'x',
    name: 'n',
    type,
    url: 'https://discord.com/api/webhooks/123/abcdefTOKEN',
    secret: null,
    token: null,
    topic: null,
    clickUrl: null,
    events: [],
    enabled: true,
    disabledReason: null,
    backoffUntil: null,
    ...extra,
  });

  it('signs as the standardwebhooks library verifies', () => {
    const secret = generateSecret();
    expect(isValidSecret(secret)).toBe(true);
    const body = '{"a":1}';
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': signature(secret, 'msg_1', ts, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ a: 1 });
    expect(new Webhook(secret).sign('msg_1', new Date(ts * 1000), body)).toBe(
      headers['webhook-signature'],
    );
  });

  it('refuses malformed secrets', () => {
    for (const s of [
      '',
      'whsec_',
      'secret',
      `whsec_${Buffer.alloc(8).toString('base64')}`,
      'whsec_!!!!',
    ])
      expect(isValidSecret(s), s).toBe(false);
  });

  it('every type builds a request; credential URLs are masked and scrubbed', () => {
    const m = composeMessage(
      'msg_9',
      'queue.idle',
      [NOTIFICATION_ROUTES['queue.idle'].item({})],
      0,
    );
    for (const type of TARGET_TYPES) {
      const req = TARGET_FORMATS[type].build(
        m,
        target(type, { secret: generateSecret(), topic: 't', token: 'tok123456' }),
        1,
      );
      expect(req.body.length).toBeGreaterThan(0);
      expect(req.url).toMatch(/^https:\/\//);
    }
    expect(maskedUrl(target('discord'))).toBe('https://discord.com/api/[redacted]');
    expect(maskedUrl(target('webhook'))).toBe('https://discord.com/api/webhooks/123/abcdefTOKEN');
    const secrets = targetSecrets(target('gotify', { token: 'a b/c', url: 'https://g.example' }));
    expect(scrub('https://g.example/message?token=a%20b%2Fc failed; token a b/c', secrets)).toBe(
      'https://g.example/message?token=[redacted] failed; token [redacted]',
    );
    expect(
      scrub(
        'POST https://discord.com/api/webhooks/123/abcdefTOKEN: 404',
        targetSecrets(target('discord')),
      ),
    ).not.toContain('abcdefTOKEN');
  });

  it('scrubs a Gotify token from the URL as safe-fetch and the receiver write it', () => {
    // Printable ASCII is a valid token; encodeURIComponent leaves ' ( ) * ! ~ as they are, and the
    // URL parser then writes ' as %27 in the query: the form every network error quotes
    // (`${href}: …`) and a receiver that echoes its request line shows.
    const m = composeMessage(
      'msg_1',
      'queue.idle',
      [NOTIFICATION_ROUTES['queue.idle'].item({})],
      0,
    );
    for (const token of ["it's-a-token", "o'brien(1)*!~", 'plain-token-123']) {
      const t = target('gotify', { token, url: 'https://g.example' });
      const url = new URL(TARGET_FORMATS.gotify.build(m, t, 1).url);
      const secrets = targetSecrets(t);
      for (const text of [
        `${url.href}: connect ECONNREFUSED`,
        `HTTP 401: no such token in ${url.pathname}${url.search}`,
      ]) {
        const out = scrub(text, secrets);
        expect(out, text).toContain('[redacted]');
        expect(out, text).not.toContain(url.searchParams.get('token')!.slice(0, 6));
        expect(out, text).not.toContain(url.search.slice('?token='.length));
      }
    }
  });

  it("a webhook body's timestamp is the event's time; the header's is the attempt's", () => {
    // Standard Webhooks: `timestamp` in the payload is when the event occurred (the same on every
    // attempt), `webhook-timestamp` when this attempt was made (receivers refuse stale ones).
    const at = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const m = composeMessage(
      'msg_t',
      'queue.idle',
      [NOTIFICATION_ROUTES['queue.idle'].item({})],
      at,
    );
    const secret = generateSecret();
    const hook = target('webhook', { secret, url: 'https://hooks.example/x' });
    const first = TARGET_FORMATS.webhook.build(m, hook, 1_800_000_000);
    const retry = TARGET_FORMATS.webhook.build(m, hook, 1_800_003_600);
    for (const req of [first, retry])
      expect((JSON.parse(req.body) as { timestamp: string }).timestamp).toBe(
        '2024-01-02T03:04:05.678Z',
      );
    expect(first.body).toBe(retry.body);
    expect(first.headers['webhook-id']).toBe(retry.headers['webhook-id']);
    expect(first.headers['webhook-timestamp']).toBe('1800000000');
    expect(retry.headers['webhook-timestamp']).toBe('1800003600');
    // Each attempt's signature covers its own timestamp.
    expect(retry.headers['webhook-signature']).toBe(
      signature(secret, 'msg_t', 1_800_003_600, retry.body),
    );
    expect(retry.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    const discord = JSON.parse(TARGET_FORMATS.discord.build(m, target('discord'), 1).body) as {
      embeds: { timestamp: string }[];
    };
    expect(discord.embeds[0]!.timestamp).toBe('2024-01-02T03:04:05.678Z');
  });

  it('Discord limits cut between characters, never inside a surrogate pair', () => {
    const line = `${'a'.repeat(255)}🎵 and more`;
    const m = composeMessage('msg_d', 'download.completed', [{ line, data: {} }], 0);
    const body = JSON.parse(
      TARGET_FORMATS.discord.build({ ...m, title: line }, target('discord'), 1).body,
    ) as { embeds: { title: string }[] };
    const title = body.embeds[0]!.title;
    expect(/[\uD800-\uDFFF]/u.test(title)).toBe(false);
    expect(title).toBe('a'.repeat(255));
  });

  it("ntfy's X-Click is sent as the URL's ASCII form (Node refuses other header characters)", () => {
    const m = composeMessage(
      'msg_c',
      'queue.idle',
      [NOTIFICATION_ROUTES['queue.idle'].item({})],
      0,
    );
    const req = TARGET_FORMATS.ntfy.build(
      m,
      target('ntfy', {
        url: 'https://ntfy.example',
        topic: 'music',
        clickUrl: 'https://soulspot.example/queue/→ß',
      }),
      1,
    );
    expect(req.headers['x-click']).toBe('https://soulspot.example/queue/%E2%86%92%C3%9F');
  });

  it('header text is ASCII or an RFC 2047 encoded word, never a line break', () => {
    expect(headerText('Plain title')).toBe('Plain title');
    expect(headerText('a\r\nX-Evil: 1')).toBe('a X-Evil: 1');
    const encoded = headerText('Björk – Jóga');
    expect(encoded).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(Buffer.from(encoded.slice(10, -2), 'base64').toString('utf8')).toBe('Björk – Jóga');
  });
});
