import { Type, type Static } from 'typebox';
import { Text } from '../http/schemas.js';
import { TEXT_KEYWORD, UUID_FORMAT } from '../http/validation.js';
import type { EntryRow, FeedRow, RuleRow } from './feeds.repository.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

/** http(s) URLs only; credentials and refused addresses are the service's to judge. */
const FeedUrl = Type.String({
  maxLength: 2000,
  pattern: '^[hH][tT][tT][pP][sS]?://[^\\s/?#]+([/?#]\\S*)?$',
  [TEXT_KEYWORD]: true,
  description: 'The feed: RSS 2.0 (Torznab/Newznab results too) or Atom 1.0, http(s)',
});

const feedFields = {
  url: FeedUrl,
  name: Text({ minLength: 1, maxLength: 200, nonBlank: true }),
  intervalMinutes: Type.Integer({
    minimum: 1,
    maximum: 10_080,
    description: 'Minutes between polls (1 to a week); failures back off from there',
  }),
  enabled: Type.Boolean(),
  allowPrivateAddress: Type.Boolean({
    description: 'Allow a loopback or private-network address (a local Prowlarr/Jackett)',
  }),
};

export const CreateFeedBody = Type.Object(
  {
    url: feedFields.url,
    name: Type.Optional(feedFields.name),
    intervalMinutes: Type.Optional(feedFields.intervalMinutes),
    enabled: Type.Optional(feedFields.enabled),
    allowPrivateAddress: Type.Optional(feedFields.allowPrivateAddress),
  },
  { additionalProperties: false },
);
export type CreateFeed = Static<typeof CreateFeedBody>;

export const UpdateFeedBody = Type.Object(
  {
    url: Type.Optional(feedFields.url),
    name: Type.Optional(feedFields.name),
    intervalMinutes: Type.Optional(feedFields.intervalMinutes),
    enabled: Type.Optional(feedFields.enabled),
    allowPrivateAddress: Type.Optional(feedFields.allowPrivateAddress),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateFeed = Static<typeof UpdateFeedBody>;

export const PollResultSchema = Type.Object({
  status: Type.Enum(['ok', 'not_modified', 'failed', 'refused']),
  httpStatus: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  entries: Type.Integer(),
  newEntries: Type.Integer(),
  matched: Type.Integer(),
});

type PollStatus = Static<typeof PollResultSchema>['status'];

export const FeedSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  intervalMinutes: Type.Integer(),
  enabled: Type.Boolean(),
  allowPrivateAddress: Type.Boolean(),
  nextPollAt: Type.String(),
  /** Consecutive failed polls (the backoff's step). */
  failures: Type.Integer(),
  lastPoll: Nullable(
    Type.Object({
      at: Type.String(),
      status: PollResultSchema.properties.status,
      httpStatus: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
      entries: Type.Integer(),
      newEntries: Type.Integer(),
    }),
  ),
  createdAt: Type.String(),
});
export type FeedDto = Static<typeof FeedSchema>;

export const ENTRY_OUTCOMES = ['unmatched', 'pending', 'accepted', 'existing', 'failed'] as const;

export const EntrySchema = Type.Object({
  id: Type.String(),
  /** The entry's own id (guid, atom:id or link). */
  entryId: Type.String(),
  /** Plain text, never HTML. */
  title: Type.String(),
  link: Nullable(Type.String()),
  publishedAt: Nullable(Type.String()),
  seenAt: Type.String(),
  outcome: Type.Enum([...ENTRY_OUTCOMES]),
  /** Why it matched a rule, or why not. */
  reason: Type.String(),
  ruleId: Nullable(Type.String()),
  kind: Nullable(Type.Enum(['album', 'track'])),
  artist: Nullable(Type.String()),
  release: Nullable(Type.String()),
  downloadId: Nullable(Type.String()),
  albumId: Nullable(Type.String()),
  error: Nullable(Type.String()),
});
export type EntryDto = Static<typeof EntrySchema>;

export const EntriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Text({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const Keywords = Type.Array(Text({ minLength: 1, maxLength: 100, nonBlank: true }), {
  maxItems: 20,
  uniqueItems: true,
});

const ruleFields = {
  artist: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
  album: Nullable(Text({ minLength: 1, maxLength: 500, nonBlank: true })),
  keywords: Keywords,
  excludeKeywords: Keywords,
  allowVariants: Type.Boolean({ description: 'Also match remixes, live records, karaoke…' }),
  kind: Type.Enum(['album', 'track'], {
    description: 'album: a match becomes an album download; track: one track',
  }),
  qualityProfileId: Nullable(Type.String({ format: UUID_FORMAT })),
  provider: Nullable(
    Text({
      minLength: 1,
      maxLength: 80,
      description: 'a configured indexer its downloads search first (then the profile order)',
    }),
  ),
  enabled: Type.Boolean(),
};

export const CreateRuleBody = Type.Object(
  {
    artist: ruleFields.artist,
    album: Type.Optional(ruleFields.album),
    keywords: Type.Optional(ruleFields.keywords),
    excludeKeywords: Type.Optional(ruleFields.excludeKeywords),
    allowVariants: Type.Optional(ruleFields.allowVariants),
    kind: Type.Optional(ruleFields.kind),
    qualityProfileId: Type.Optional(ruleFields.qualityProfileId),
    provider: Type.Optional(ruleFields.provider),
    enabled: Type.Optional(ruleFields.enabled),
  },
  { additionalProperties: false },
);
export type CreateRule = Static<typeof CreateRuleBody>;

export const UpdateRuleBody = Type.Object(
  {
    artist: Type.Optional(ruleFields.artist),
    album: Type.Optional(ruleFields.album),
    keywords: Type.Optional(ruleFields.keywords),
    excludeKeywords: Type.Optional(ruleFields.excludeKeywords),
    allowVariants: Type.Optional(ruleFields.allowVariants),
    kind: Type.Optional(ruleFields.kind),
    qualityProfileId: Type.Optional(ruleFields.qualityProfileId),
    provider: Type.Optional(ruleFields.provider),
    enabled: Type.Optional(ruleFields.enabled),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateRule = Static<typeof UpdateRuleBody>;

export const RuleSchema = Type.Object({
  id: Type.String(),
  artist: Type.String(),
  album: Nullable(Type.String()),
  keywords: Type.Array(Type.String()),
  excludeKeywords: Type.Array(Type.String()),
  allowVariants: Type.Boolean(),
  kind: Type.Enum(['album', 'track']),
  qualityProfileId: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
});
export type RuleDto = Static<typeof RuleSchema>;

const iso = (t: number): string => new Date(t).toISOString();
const isoOrNull = (t: number | null): string | null => (t === null ? null : iso(t));

export function toFeedDto(row: FeedRow): FeedDto {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    intervalMinutes: row.interval_minutes,
    enabled: row.enabled === 1,
    allowPrivateAddress: row.allow_private === 1,
    nextPollAt: iso(row.next_poll_at),
    failures: row.failures,
    lastPoll:
      row.last_polled_at === null
        ? null
        : {
            at: iso(row.last_polled_at),
            status: (row.last_status ?? 'failed') as PollStatus,
            httpStatus: row.last_http_status,
            error: row.last_error,
            entries: row.last_entry_count ?? 0,
            newEntries: row.last_new_count ?? 0,
          },
    createdAt: iso(row.created_at),
  };
}

export function toEntryDto(row: EntryRow): EntryDto {
  return {
    id: row.id,
    entryId: row.entry_id,
    title: row.title,
    link: row.link,
    publishedAt: isoOrNull(row.published_at),
    seenAt: iso(row.seen_at),
    outcome: row.outcome as EntryDto['outcome'],
    reason: row.reason,
    ruleId: row.rule_id,
    kind: row.kind === 'album' || row.kind === 'track' ? row.kind : null,
    artist: row.artist,
    release: row.release,
    downloadId: row.download_id,
    albumId: row.album_id,
    error: row.last_error,
  };
}

export function toRuleDto(row: RuleRow): RuleDto {
  return {
    id: row.id,
    artist: row.artist,
    album: row.album,
    keywords: JSON.parse(row.keywords) as string[],
    excludeKeywords: JSON.parse(row.exclude_keywords) as string[],
    allowVariants: row.allow_variants === 1,
    kind: row.kind === 'track' ? 'track' : 'album',
    qualityProfileId: row.quality_profile_id,
    provider: row.provider,
    enabled: row.enabled === 1,
    createdAt: iso(row.created_at),
  };
}
