import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/database.js';
import { NotFoundError } from '../downloads/downloads.errors.js';
import { checkLiteralHost, type AddressPolicy } from '../net/address-policy.js';
import { sendToTarget, type SendResult } from './delivery.js';
import { composeMessage } from './message.js';
import type { NotificationEvent } from './notification-events.js';
import type { CreateTarget, DeliveryDto, TargetDto, UpdateTarget } from './notifications.dto.js';
import type { NotificationsRepository } from './notifications.repository.js';
import { generateSecret, isValidSecret } from './signing.js';
import { maskedUrl, TARGET_FORMATS, type Target } from './target-formats.js';

/** A target that cannot be saved as given: a 400 naming the field. */
export class NotificationInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'NotificationInputError';
  }
}

export interface NotificationsServiceDeps {
  handle: DatabaseHandle;
  repo: NotificationsRepository;
  /** The address policy in force (the allowedPrivateTargets setting), read at each use. */
  policy: () => AddressPolicy;
  now: () => number;
}

/**
 * Notification targets: CRUD (secrets write-only: stored, used, never returned), the test action
 * (one message sent now, recorded like an attempt) and each target's delivery record.
 */
export function createNotificationsService(deps: NotificationsServiceDeps) {
  const { repo, handle, now } = deps;

  const get = async (id: string): Promise<Target> => {
    const target = await repo.target(id);
    if (!target) throw new NotFoundError(`Notification target ${id}`);
    return target;
  };

  /** Everything a schema cannot say: per-type needs, the secret's form, the URL's host. */
  const check = (t: Target): void => {
    for (const field of TARGET_FORMATS[t.type].requires)
      if (!t[field]) throw new NotificationInputError(field, `required for ${t.type} targets`);
    if (t.type === 'webhook') {
      if (!t.secret || !isValidSecret(t.secret))
        throw new NotificationInputError(
          'secret',
          'must be whsec_ followed by the base64 of 24 to 64 bytes',
        );
    } else if (t.secret !== null) {
      throw new NotificationInputError('secret', 'only webhook targets are signed');
    }
    if (t.topic !== null && t.type !== 'ntfy')
      throw new NotificationInputError('topic', 'only ntfy targets have a topic');
    checkUrl('url', t.url);
    if (t.clickUrl !== null) checkUrl('clickUrl', t.clickUrl, false);
  };

  const checkUrl = (field: string, raw: string, delivered = true): void => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new NotificationInputError(field, 'is not a URL');
    }
    if (url.username || url.password)
      throw new NotificationInputError(field, 'must not carry a user or password');
    if (!delivered) return;
    // A literal private address (or localhost) is refused now; a name is checked at each
    // delivery, after resolving it (it may point elsewhere by then).
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const verdict = checkLiteralHost(url.hostname, port, deps.policy());
    if (verdict && !verdict.ok) throw new NotificationInputError(field, verdict.reason);
  };

  return {
    async list(): Promise<TargetDto[]> {
      return (await repo.targets()).map((t) => toDto(t, now()));
    },

    async get(id: string): Promise<TargetDto> {
      return toDto(await get(id), now());
    },

    /** Creates a target; a webhook's generated secret is returned this once. */
    async create(body: CreateTarget): Promise<TargetDto & { secret?: string }> {
      const generated = body.type === 'webhook' && !body.secret ? generateSecret() : null;
      const target: Target = {
        id: randomUUID(),
        name: body.name,
        type: body.type,
        url: body.url,
        secret: generated ?? body.secret ?? null,
        token: body.token ?? null,
        topic: body.topic ?? null,
        clickUrl: body.clickUrl ?? null,
        events: [...body.events],
        enabled: body.enabled ?? true,
        disabledReason: null,
        backoffUntil: null,
      };
      check(target);
      await handle.writeTx((tx) => repo.insertTarget(tx, target, now()));
      return { ...toDto(target, now()), ...(generated ? { secret: generated } : {}) };
    },

    /**
     * Changes the fields given (absent = kept, null = cleared). A webhook's `secret: null` makes
     * a new one, returned this once.
     */
    async update(id: string, patch: UpdateTarget): Promise<TargetDto & { secret?: string }> {
      const current = await get(id);
      const rotated = current.type === 'webhook' && patch.secret === null ? generateSecret() : null;
      const next: Target = {
        ...current,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        // A credential URL sent back as the API showed it (masked) is the one stored, unchanged.
        ...(patch.url !== undefined && patch.url !== maskedUrl(current) ? { url: patch.url } : {}),
        ...(patch.secret !== undefined ? { secret: rotated ?? patch.secret } : {}),
        ...(patch.token !== undefined ? { token: patch.token } : {}),
        ...(patch.topic !== undefined ? { topic: patch.topic } : {}),
        ...(patch.clickUrl !== undefined ? { clickUrl: patch.clickUrl } : {}),
        ...(patch.events !== undefined ? { events: [...patch.events] } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        // Enabling a target the deliveries switched off is the user saying it is back.
        ...(patch.enabled === true ? { disabledReason: null, backoffUntil: null } : {}),
      };
      // A stored token goes only to the server it was given for: a URL moved to another origin
      // without the token given again (or cleared, null) would hand it to whoever runs the new
      // server at the next delivery or test, which makes "write-only" a formality.
      const moved = !sameOrigin(current.url, next.url);
      if (current.token !== null && patch.token === undefined && moved)
        throw new NotificationInputError(
          'token',
          'must be given again (or null) when url moves to another server',
        );
      // The same for a webhook's signing secret: the new server would get validly signed
      // messages it could replay to the receiver that trusts the secret.
      if (current.secret !== null && patch.secret === undefined && moved)
        throw new NotificationInputError(
          'secret',
          'must be given again (or null for a new one) when url moves to another server',
        );
      check(next);
      // What deliveries learnt meanwhile (a 410 disabled it, a Retry-After holds it) is read
      // again in the write, not taken from the copy read above: unless this edit sets `enabled`,
      // it keeps the target's state as it is now.
      let saved = next;
      const found = await handle.writeTx(async (tx) => {
        const now_ = await repo.lockedTarget(tx, id);
        if (!now_) return false;
        if (patch.enabled === undefined) {
          saved = {
            ...next,
            enabled: now_.enabled,
            disabledReason: now_.disabledReason,
            backoffUntil: now_.backoffUntil,
          };
        }
        return repo.updateTarget(tx, saved, now());
      });
      if (!found) throw new NotFoundError(`Notification target ${id}`);
      return { ...toDto(saved, now()), ...(rotated ? { secret: rotated } : {}) };
    },

    async remove(id: string): Promise<void> {
      if (!(await repo.deleteTarget(id))) throw new NotFoundError(`Notification target ${id}`);
    },

    /**
     * Sends a test message now (not through the outbox: the answer is the result) and records it
     * with outcome `test`. Its event is the target's first.
     */
    async test(id: string): Promise<SendResult> {
      const target = await get(id);
      const event = (target.events[0] ?? 'download.completed') as NotificationEvent;
      const message = {
        ...composeMessage(
          `msg_test${randomUUID().replace(/-/g, '')}`,
          event,
          [{ line: 'This is a test notification from SoulSpot.', data: { test: true } }],
          now(),
        ),
        title: 'SoulSpot test notification',
      };
      const at = now();
      const result = await sendToTarget(target, message, { policy: deps.policy(), now });
      await handle.writeTx((tx) =>
        repo.insertDelivery(tx, {
          target_id: target.id,
          message_id: message.id,
          event,
          item_count: 1,
          attempt: 1,
          outcome: 'test',
          status_code: result.statusCode,
          error: result.error,
          duration_ms: result.durationMs,
          at,
        }),
      );
      return result;
    },

    /** The target's delivery attempts, newest first. */
    async deliveries(id: string, limit: number): Promise<DeliveryDto[]> {
      await get(id);
      return (await repo.deliveries(id, limit)).map((d) => ({
        id: d.id,
        at: new Date(Number(d.at)).toISOString(),
        event: d.event,
        messageId: d.message_id,
        count: Number(d.item_count),
        attempt: Number(d.attempt),
        outcome: d.outcome,
        statusCode: d.status_code === null ? null : Number(d.status_code),
        error: d.error,
        durationMs: Number(d.duration_ms),
      }));
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

/** Whether two URLs have one origin (scheme, host, port); a URL that does not parse has none. */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function toDto(t: Target, at: number): TargetDto {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    url: maskedUrl(t),
    topic: t.topic,
    clickUrl: t.clickUrl,
    events: t.events,
    enabled: t.enabled,
    hasSecret: t.secret !== null,
    hasToken: t.token !== null,
    disabledReason: t.disabledReason,
    retryAfterUntil:
      t.backoffUntil !== null && t.backoffUntil > at
        ? new Date(t.backoffUntil).toISOString()
        : null,
  };
}
