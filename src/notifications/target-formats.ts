import type { NotificationMessage } from './message.js';
import { WEBHOOK_ITEMS } from './message.js';
import { NOTIFICATION_ROUTES } from './notification-events.js';
import { signature } from './signing.js';

/**
 * One row per target type: what it needs, whether its URL is itself a credential, and how a
 * message becomes its request. Pure (the delivery sends what `build` returns through safe-fetch).
 * Formats as the peers document them, and as Lidarr's clients send them:
 * - webhook: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), body
 *   `{type, timestamp, data}`;
 * - Discord: an execute-webhook body with one embed;
 * - Slack: an incoming-webhook body `{text}` in mrkdwn;
 * - ntfy: `POST {server}/{topic}`, the text as the body, `X-Title`/`X-Priority`/`X-Tags`/`X-Click`;
 * - Gotify: `POST {server}/message?token=…` with `{title, message, priority}`.
 */

export const TARGET_TYPES = ['webhook', 'discord', 'slack', 'ntfy', 'gotify'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** A target as stored, secrets included (never sent back by the API). */
export interface Target {
  id: string;
  name: string;
  type: TargetType;
  url: string;
  secret: string | null;
  token: string | null;
  topic: string | null;
  clickUrl: string | null;
  events: string[];
  enabled: boolean;
  /** Why SoulSpot switched it off (a 410 Gone), null otherwise; cleared by enabling it. */
  disabledReason: string | null;
  /** No request to it before this (epoch ms): its last `Retry-After`. */
  backoffUntil: number | null;
}

export interface TargetRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TargetFormat {
  /** Fields this type cannot do without (`secret` of a webhook is generated when not given). */
  requires: readonly ('topic' | 'token')[];
  /** The URL carries the credential (Discord, Slack): shown masked, scrubbed from logs. */
  secretUrl: boolean;
  /** The request for one attempt; `timestampSeconds` is the attempt's time. */
  build(message: NotificationMessage, target: Target, timestampSeconds: number): TargetRequest;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** The server URL without a trailing slash, so a path joins it cleanly. */
const base = (url: string): string => url.replace(/\/+$/, '');

/**
 * A header value as ntfy reads it: ASCII as it is, anything else as an RFC 2047 encoded word
 * (Node refuses header characters above U+00FF, and latin-1 would garble the rest).
 */
export function headerText(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(flat)) return flat;
  return `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/**
 * At most `max` UTF-16 units, cut between characters: a slice inside a surrogate pair leaves a
 * lone half, which JSON carries as an escape no receiver can decode into text.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * A URL as a header value: its ASCII serialization (non-ASCII percent-encoded, the host in
 * punycode). Node refuses header characters above U+00FF and sends the rest as latin-1.
 */
const headerUrl = (url: string): string => {
  try {
    return new URL(url).href;
  } catch {
    return encodeURI(url);
  }
};

/** Slack's mrkdwn escapes (its docs: only these three). */
const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const TARGET_FORMATS: Record<TargetType, TargetFormat> = {
  webhook: {
    requires: [],
    secretUrl: false,
    build(message, target, ts) {
      const body = JSON.stringify({
        type: message.event,
        // When the event happened (Standard Webhooks), the same on every attempt; the attempt's
        // own time is the `webhook-timestamp` header, which the signature covers.
        timestamp: new Date(message.at).toISOString(),
        data: {
          id: message.id,
          title: message.title,
          message: message.body,
          count: message.count,
          items: message.items.slice(0, WEBHOOK_ITEMS).map((i) => i.data),
          truncated: message.count > WEBHOOK_ITEMS,
        },
      });
      return {
        url: target.url,
        headers: {
          ...JSON_TYPE,
          'webhook-id': message.id,
          'webhook-timestamp': String(ts),
          'webhook-signature': signature(target.secret ?? '', message.id, ts, body),
        },
        body,
      };
    },
  },
  discord: {
    requires: [],
    secretUrl: true,
    build(message, target) {
      const embed = {
        title: clip(message.title, 256),
        description: clip(message.body, 4096),
        color: NOTIFICATION_ROUTES[message.event].color,
        timestamp: new Date(message.at).toISOString(),
        footer: { text: message.event },
        ...(target.clickUrl ? { url: target.clickUrl } : {}),
      };
      return {
        url: target.url,
        headers: JSON_TYPE,
        body: JSON.stringify({ username: 'SoulSpot', embeds: [embed] }),
      };
    },
  },
  slack: {
    requires: [],
    secretUrl: true,
    build(message, target) {
      const text = `*${slackEscape(message.title)}*\n${slackEscape(message.body)}`;
      return { url: target.url, headers: JSON_TYPE, body: JSON.stringify({ text }) };
    },
  },
  ntfy: {
    requires: ['topic'],
    secretUrl: false,
    build(message, target) {
      const route = NOTIFICATION_ROUTES[message.event];
      return {
        url: `${base(target.url)}/${encodeURIComponent(target.topic ?? '')}`,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'x-title': headerText(message.title),
          'x-priority': String(route.priority),
          'x-tags': route.tags.join(','),
          ...(target.clickUrl ? { 'x-click': headerUrl(target.clickUrl) } : {}),
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
        body: message.body,
      };
    },
  },
  gotify: {
    requires: ['token'],
    secretUrl: false,
    build(message, target) {
      const route = NOTIFICATION_ROUTES[message.event];
      return {
        url: `${base(target.url)}/message?token=${encodeURIComponent(target.token ?? '')}`,
        headers: JSON_TYPE,
        body: JSON.stringify({
          title: message.title,
          message: message.body,
          priority: route.priority * 2,
        }),
      };
    },
  },
};

/**
 * The secrets of a target as they may appear in text: secret, token (also URL-encoded, as the
 * Gotify URL carries it, and as a parsed URL serializes that), and for a credential URL the
 * URL's path. For scrubbing error messages and log lines.
 */
export function targetSecrets(target: Pick<Target, 'type' | 'url' | 'secret' | 'token'>): string[] {
  const out: string[] = [];
  if (target.secret) out.push(target.secret);
  if (target.token) {
    const encoded = encodeURIComponent(target.token);
    // And as the URL parser writes it into a query (a ' becomes %27 there, which
    // encodeURIComponent leaves alone): the form safe-fetch's errors quote the Gotify URL in.
    const inQuery = new URL(`http://x/?${encoded}`).search.slice(1);
    out.push(target.token, encoded, inQuery);
  }
  if (TARGET_FORMATS[target.type].secretUrl) {
    try {
      const u = new URL(target.url);
      if (u.pathname.length > 1) out.push(u.pathname + u.search, encodeURI(u.pathname));
    } catch {
      out.push(target.url);
    }
  }
  return out.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** `text` with every secret of the target replaced. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/** A credential URL as the API shows it: scheme, host and the first path segment, the rest hidden. */
export function maskedUrl(target: Pick<Target, 'type' | 'url'>): string {
  if (!TARGET_FORMATS[target.type].secretUrl) return target.url;
  try {
    const u = new URL(target.url);
    const first = u.pathname.split('/').filter(Boolean)[0];
    return `${u.protocol}//${u.host}/${first ? `${first}/` : ''}[redacted]`;
  } catch {
    return '[redacted]';
  }
}
