import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/database.js';
import { ConflictError, NotFoundError } from '../downloads/downloads.errors.js';
import { decodeCursor } from '../downloads/list-cursor.js';
import type { ProfileLookup } from '../downloads/profile-check.js';
import { normalizeForMatch } from '../matching/normalize.js';
import { feedUrlProblem } from './feed-policy.js';
import { pollClaimed, type PollDeps, type PollResult } from './feed-poll.js';
import { POLL_LEASE_MS } from './feed-schedule.js';
import {
  toEntryDto,
  toFeedDto,
  toRuleDto,
  type CreateFeed,
  type CreateRule,
  type EntryDto,
  type FeedDto,
  type RuleDto,
  type UpdateFeed,
  type UpdateRule,
} from './feeds.dto.js';
import type { FeedsRepository } from './feeds.repository.js';

/** An input the schema cannot judge alone (a refused address, an unknown profile): 400 naming the field. */
export class FeedInputError extends Error {
  readonly statusCode = 400;
  constructor(field: string, message: string) {
    super(`body/${field}: ${message}`);
    this.name = 'FeedInputError';
  }
}

export interface FeedsServiceDeps extends PollDeps {
  repo: FeedsRepository;
  handle: DatabaseHandle;
  profiles?: ProfileLookup;
  /**
   * The provider ids a rule may name, read at each check: the configured indexers (its downloads
   * search the rule's provider first, and only an indexer searches).
   */
  providers: () => readonly string[];
  /** Accepts the pending matches (feed-accept.ts, through the scheduler's single drain). */
  acceptPending: () => Promise<void>;
  /** Something changed that may make a feed due sooner (a new feed, a shorter interval). */
  kick: () => void;
}

/** Feeds and the watchlist: what the routes call. */
export function createFeedsService(deps: FeedsServiceDeps) {
  const { repo, now } = deps;

  async function loadFeed(id: string) {
    const row = await repo.getFeed(id);
    if (!row) throw new NotFoundError(`Feed ${id}`);
    return row;
  }

  async function checkRule(body: Partial<CreateRule>): Promise<void> {
    if (body.qualityProfileId && deps.profiles) {
      const found = await deps.profiles.existing([body.qualityProfileId]);
      if (!found.has(body.qualityProfileId))
        throw new FeedInputError(
          'qualityProfileId',
          `no such profile ${body.qualityProfileId} (GET /api/quality-profiles lists them)`,
        );
    }
    if (body.provider && !deps.providers().includes(body.provider))
      throw new FeedInputError(
        'provider',
        `no provider "${body.provider}" to search first (indexers: ${deps.providers().join(', ')})`,
      );
    if (body.artist !== undefined && normalizeForMatch(body.artist) === '')
      throw new FeedInputError('artist', 'has no letters or digits to match');
  }

  return {
    async listFeeds(): Promise<FeedDto[]> {
      return (await repo.listFeeds()).map(toFeedDto);
    },
    async getFeed(id: string): Promise<FeedDto> {
      return toFeedDto(await loadFeed(id));
    },
    async createFeed(body: CreateFeed): Promise<FeedDto> {
      const allowPrivate = body.allowPrivateAddress ?? false;
      const problem = feedUrlProblem(body.url, allowPrivate);
      if (problem) throw new FeedInputError('url', problem);
      const t = now();
      const id = randomUUID();
      await repo.insertFeed({
        id,
        name: body.name?.trim() || new URL(body.url).hostname,
        url: body.url,
        interval_minutes: body.intervalMinutes ?? 60,
        enabled: body.enabled === false ? 0 : 1,
        allow_private: allowPrivate ? 1 : 0,
        etag: null,
        last_modified: null,
        // Due at once: a new feed shows what it has now.
        next_poll_at: t,
        lease_owner: null,
        lease_until: null,
        lease_token: 0,
        failures: 0,
        last_polled_at: null,
        last_status: null,
        last_http_status: null,
        last_error: null,
        last_entry_count: null,
        last_new_count: null,
        created_at: t,
        updated_at: t,
      });
      deps.kick();
      return toFeedDto(await loadFeed(id));
    },
    async updateFeed(id: string, body: UpdateFeed): Promise<FeedDto> {
      const row = await loadFeed(id);
      const url = body.url ?? row.url;
      const allowPrivate = body.allowPrivateAddress ?? row.allow_private === 1;
      const problem = feedUrlProblem(url, allowPrivate);
      if (problem)
        throw new FeedInputError(body.url !== undefined ? 'url' : 'allowPrivateAddress', problem);
      const t = now();
      const interval = body.intervalMinutes ?? row.interval_minutes;
      await repo.updateFeed(id, {
        ...(body.name !== undefined ? { name: body.name.trim() } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled ? 1 : 0 } : {}),
        allow_private: allowPrivate ? 1 : 0,
        interval_minutes: interval,
        // Another URL is another document: its validators and failures are not this one's.
        ...(body.url !== undefined && body.url !== row.url
          ? { url, etag: null, last_modified: null, failures: 0, next_poll_at: t }
          : {}),
        // A shorter interval applies from the last poll, not after the old, longer wait.
        ...(body.intervalMinutes !== undefined && row.failures === 0
          ? {
              next_poll_at: Math.min(
                row.next_poll_at,
                (row.last_polled_at ?? t) + interval * 60_000,
              ),
            }
          : {}),
        updated_at: t,
      });
      deps.kick();
      return toFeedDto(await loadFeed(id));
    },
    async deleteFeed(id: string): Promise<void> {
      if ((await repo.deleteFeed(id)) === 0) throw new NotFoundError(`Feed ${id}`);
    },
    /**
     * Polls the feed now (enabled or not), unless a poll of it is running here or in another
     * process (409), then accepts what it matched.
     */
    async pollNow(id: string): Promise<PollResult> {
      await loadFeed(id);
      const t = now();
      const claimed = await repo.claim(id, {
        owner: deps.owner,
        now: t,
        until: t + POLL_LEASE_MS,
        dueOnly: false,
      });
      if (!claimed)
        throw new ConflictError(`Feed ${id} is being polled; try again when that poll ends`);
      const result = await pollClaimed(deps, claimed);
      if (!result)
        throw new ConflictError(
          `Feed ${id} was taken over by another process (or SoulSpot is stopping) during this poll`,
        );
      if (result.matched > 0) await deps.acceptPending();
      return result;
    },
    async entries(id: string, options: { limit: number; cursor?: string }) {
      await loadFeed(id);
      const before = options.cursor ? decodeCursor(options.cursor) : undefined;
      const rows = await repo.listEntries(
        id,
        options.limit + 1,
        before ? { seenAt: before.createdAt, id: before.id } : undefined,
      );
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      return {
        items: page.map(toEntryDto) as EntryDto[],
        nextCursor:
          rows.length > options.limit && last
            ? Buffer.from(JSON.stringify([last.seen_at, last.id])).toString('base64url')
            : null,
      };
    },

    async listRules(): Promise<RuleDto[]> {
      return (await repo.listRules()).map(toRuleDto);
    },
    async createRule(body: CreateRule): Promise<RuleDto> {
      await checkRule(body);
      const t = now();
      const id = randomUUID();
      await repo.insertRule({
        id,
        artist: body.artist.trim(),
        artist_key: normalizeForMatch(body.artist),
        album: body.album?.trim() ?? null,
        keywords: JSON.stringify(body.keywords ?? []),
        exclude_keywords: JSON.stringify(body.excludeKeywords ?? []),
        allow_variants: body.allowVariants ? 1 : 0,
        kind: body.kind ?? 'album',
        quality_profile_id: body.qualityProfileId ?? null,
        provider: body.provider ?? null,
        enabled: body.enabled === false ? 0 : 1,
        created_at: t,
        updated_at: t,
      });
      const row = await repo.getRule(id);
      if (!row) throw new NotFoundError(`Watchlist rule ${id}`);
      return toRuleDto(row);
    },
    async updateRule(id: string, body: UpdateRule): Promise<RuleDto> {
      if (!(await repo.getRule(id))) throw new NotFoundError(`Watchlist rule ${id}`);
      await checkRule(body);
      await repo.updateRule(id, {
        ...(body.artist !== undefined
          ? { artist: body.artist.trim(), artist_key: normalizeForMatch(body.artist) }
          : {}),
        ...(body.album !== undefined ? { album: body.album?.trim() ?? null } : {}),
        ...(body.keywords !== undefined ? { keywords: JSON.stringify(body.keywords) } : {}),
        ...(body.excludeKeywords !== undefined
          ? { exclude_keywords: JSON.stringify(body.excludeKeywords) }
          : {}),
        ...(body.allowVariants !== undefined ? { allow_variants: body.allowVariants ? 1 : 0 } : {}),
        ...(body.kind !== undefined ? { kind: body.kind } : {}),
        ...(body.qualityProfileId !== undefined
          ? { quality_profile_id: body.qualityProfileId }
          : {}),
        ...(body.provider !== undefined ? { provider: body.provider } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled ? 1 : 0 } : {}),
        updated_at: now(),
      });
      const row = await repo.getRule(id);
      if (!row) throw new NotFoundError(`Watchlist rule ${id}`);
      return toRuleDto(row);
    },
    async deleteRule(id: string): Promise<void> {
      if ((await repo.deleteRule(id)) === 0) throw new NotFoundError(`Watchlist rule ${id}`);
    },
  };
}

export type FeedsService = ReturnType<typeof createFeedsService>;
