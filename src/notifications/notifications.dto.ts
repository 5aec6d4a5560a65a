import { Type, type Static } from 'typebox';
import { Text } from '../http/schemas.js';
import { TEXT_KEYWORD } from '../http/validation.js';
import { NOTIFICATION_EVENTS } from './notification-events.js';
import { TARGET_TYPES } from './target-formats.js';

/** http(s) URLs only; the rest (credentials, private hosts) is checked by the service. */
const HttpUrl = (description: string) =>
  Type.String({
    maxLength: 2000,
    pattern: '^[hH][tT][tT][pP][sS]?://[^\\s/?#]+([/?#]\\S*)?$',
    [TEXT_KEYWORD]: true,
    description,
  });

const Events = Type.Array(Type.Enum([...NOTIFICATION_EVENTS]), {
  minItems: 1,
  maxItems: NOTIFICATION_EVENTS.length,
  uniqueItems: true,
  description: `The events this target receives: ${NOTIFICATION_EVENTS.join(', ')}`,
});

const fields = {
  name: Text({ minLength: 1, maxLength: 100, nonBlank: true }),
  type: Type.Enum([...TARGET_TYPES]),
  url: HttpUrl(
    'webhook: the endpoint; discord/slack: the webhook URL; ntfy: the server (topic apart); gotify: the server',
  ),
  /** Webhook only: `whsec_` + base64 of 24–64 bytes; generated (and shown once) when absent. */
  secret: Type.Union([Text({ minLength: 10, maxLength: 200 }), Type.Null()], {
    description:
      'webhook signing secret (whsec_…); write-only. Absent on create: one is generated and returned once. null on update: a new one is generated',
  }),
  // Visible ASCII only: an ntfy token travels in the Authorization header, where a line break
  // or a character above U+00FF makes Node refuse every request (delivery failing for good).
  token: Type.Union(
    [Type.String({ minLength: 1, maxLength: 500, pattern: '^[\\x21-\\x7E]+$' }), Type.Null()],
    {
      description:
        'gotify app token (required) or ntfy access token (optional), printable ASCII; write-only',
    },
  ),
  // ntfy's own rule for topic names (anything else it answers 404).
  topic: Type.Union(
    [Type.String({ minLength: 1, maxLength: 64, pattern: '^[-_A-Za-z0-9]+$' }), Type.Null()],
    { description: 'ntfy topic (required for ntfy): letters, digits, - and _' },
  ),
  clickUrl: Type.Union([
    HttpUrl('Where a click on the notification leads (ntfy X-Click, Discord)'),
    Type.Null(),
  ]),
  events: Events,
  enabled: Type.Boolean(),
};

export const CreateTargetBody = Type.Object(
  {
    name: fields.name,
    type: fields.type,
    url: fields.url,
    secret: Type.Optional(fields.secret),
    token: Type.Optional(fields.token),
    topic: Type.Optional(fields.topic),
    clickUrl: Type.Optional(fields.clickUrl),
    events: fields.events,
    enabled: Type.Optional(fields.enabled),
  },
  { additionalProperties: false },
);
export type CreateTarget = Static<typeof CreateTargetBody>;

export const UpdateTargetBody = Type.Object(
  {
    name: Type.Optional(fields.name),
    url: Type.Optional(fields.url),
    secret: Type.Optional(fields.secret),
    token: Type.Optional(fields.token),
    topic: Type.Optional(fields.topic),
    clickUrl: Type.Optional(fields.clickUrl),
    events: Type.Optional(fields.events),
    enabled: Type.Optional(fields.enabled),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTarget = Static<typeof UpdateTargetBody>;

/** A target as the API shows it: secrets never, only whether one is set. */
export const TargetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: fields.type,
  /** Discord and Slack URLs are credentials: shown with their path hidden. */
  url: Type.String(),
  topic: Type.Union([Type.String(), Type.Null()]),
  clickUrl: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  hasSecret: Type.Boolean(),
  hasToken: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why SoulSpot switched this target off (it answered 410 Gone); enabling it clears this',
  }),
  retryAfterUntil: Type.Union([Type.String(), Type.Null()], {
    description:
      'No delivery to this target before this time: its last Retry-After (429/503), capped',
  }),
});
export type TargetDto = Static<typeof TargetSchema>;

/** The create (or secret rotation) answer: the target, and the generated secret this once. */
export const CreatedTargetSchema = Type.Object({
  ...TargetSchema.properties,
  secret: Type.Optional(
    Type.String({ description: 'The generated signing secret; shown only in this response' }),
  ),
});

export const DeliverySchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  event: Type.String(),
  /** The message's `webhook-id`, the same on every attempt of one message. */
  messageId: Type.String(),
  /** Events the message grouped. */
  count: Type.Integer(),
  attempt: Type.Integer(),
  outcome: Type.Enum(['delivered', 'failed', 'dead', 'test']),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
});
export type DeliveryDto = Static<typeof DeliverySchema>;

export const TestResultSchema = Type.Object({
  ok: Type.Boolean(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
});

export const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
  { additionalProperties: false },
);
