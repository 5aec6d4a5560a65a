import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/database.js';
import { NotFoundError } from '../downloads/downloads.service.js';
import { ERROR_POLICIES, isErrorCode, type ErrorCode } from '../downloads/error-codes.js';
import type { AttemptFinished, EventBus } from '../events/event-bus.js';
import { toBlocklistEntryDto, type BlocklistEntryDto } from './blocklist.dto.js';
import { createBlocklistRepository, WHOLE_USER } from './blocklist.repository.js';
import { createPeerStatsRepository } from './peer-stats.repository.js';
import { SLSKD, sourceKey, type ProviderId, type SourceRef } from '../providers/release.js';

export interface BlocklistSettings {
  /** Failures (of codes whose policy is `count`) within the window that block a user. Default 3. */
  failureThreshold: number;
  /** Default 24 h. */
  windowMs: number;
  /** How long an automatic block lasts. Default 7 days. */
  blockMs: number;
}

export const DEFAULT_BLOCKLIST_SETTINGS: BlocklistSettings = {
  failureThreshold: 3,
  windowMs: 24 * 3_600_000,
  blockMs: 7 * 86_400_000,
};

export interface AddBlocklistEntry {
  /** The provider the source belongs to; absent: slskd (the API's original form). */
  provider?: ProviderId;
  username: string;
  /** Absent or null: every file of the user. */
  filename?: string | null;
  /** On an update, absent keeps the entry's reason and null clears it. */
  reason?: string | null;
  /** Absent or null: permanent. */
  expiresInDays?: number | null;
}

export interface PeerRecord {
  successes: number;
  /** Failures that were the peer's fault (see peerFaults). */
  failures: number;
}

/**
 * Blocks and track records for one ranking, per source (provider, username). A source given as a
 * bare name, and a lookup without a provider, mean an slskd peer: the form every caller used
 * before sources had a provider.
 */
export interface SourceFilter {
  isBlocked(c: { provider?: ProviderId; username: string; filename: string }): boolean;
  peerRecord(username: string, provider?: ProviderId): PeerRecord | undefined;
}

const asSource = (s: SourceRef | string): SourceRef =>
  typeof s === 'string' ? { provider: SLSKD, username: s } : s;

const DAY_MS = 86_400_000;
const CLEANUP_EVERY_MS = 3_600_000;
const MAX_MESSAGE = 200;

/**
 * Failures that say something about the peer. Cancellations, a full disk or slskd being down are
 * recorded in the statistics too (they are honest history) but must not make a peer rank lower.
 */
function peerFaults(failuresByCode: string, fallback: number): number {
  let tally: unknown;
  try {
    tally = JSON.parse(failuresByCode);
  } catch {
    return fallback;
  }
  if (typeof tally !== 'object' || tally === null) return fallback;
  let faults = 0;
  for (const [code, count] of Object.entries(tally)) {
    // A code this version does not know any more is still a failure of the peer's.
    const blamesPeer = !isErrorCode(code) || ERROR_POLICIES[code].block !== 'none';
    if (blamesPeer && typeof count === 'number') faults += count;
  }
  return faults;
}

function bumpTally(failuresByCode: string, code: ErrorCode): string {
  let tally: Record<string, number> = {};
  try {
    const parsed: unknown = JSON.parse(failuresByCode);
    if (typeof parsed === 'object' && parsed !== null) tally = parsed as Record<string, number>;
  } catch {
    // A damaged tally restarts rather than blocking the failure from being recorded.
  }
  const before = tally[code];
  tally[code] = (typeof before === 'number' ? before : 0) + 1;
  return JSON.stringify(tally);
}

function describe(code: ErrorCode, message: string | null): string {
  if (!message) return code;
  const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
  return `${code}: ${short}`;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${Number.isInteger(h) ? h : h.toFixed(2)} h`;
}

/** A request naming what cannot be (a provider not configured): the API answers 400. */
export class BlocklistInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'BlocklistInputError';
  }
}

/**
 * The blocklist and the peers' track record. It learns only from `attempt.finished` events (the
 * pipeline never calls it); the pipeline asks it for a `sourceFilter` before each ranking.
 */
export function createBlocklistService(deps: {
  handle: DatabaseHandle;
  bus: EventBus;
  now: () => number;
  settings: BlocklistSettings;
  log?: { warn(obj: object, msg?: string): void };
  /**
   * The provider ids an entry may name (the configured providers, read at each use: sources
   * added through the API count at once); absent: slskd only.
   */
  providers?: readonly ProviderId[] | (() => readonly ProviderId[]);
}) {
  const { handle, bus, now, settings, log } = deps;
  const providers = (): readonly ProviderId[] => {
    const ids = typeof deps.providers === 'function' ? deps.providers() : deps.providers;
    return ids?.length ? ids : [SLSKD];
  };
  /** A provider the request names must be one configured now: a 400 naming the field. */
  const checkProvider = (id: ProviderId | undefined, field: string): void => {
    if (id !== undefined && !providers().includes(id))
      throw new BlocklistInputError(
        `${field}: no provider "${id}" is configured (configured: ${providers().join(', ')})`,
      );
  };
  const entries = createBlocklistRepository(handle);
  const stats = createPeerStatsRepository(handle);

  /** An automatic block lasts blockMs from now, whichever policy caused it. */
  const autoEntry = (source: SourceRef, filename: string, reason: string, failures: number) => {
    const t = now();
    return {
      id: randomUUID(),
      provider: source.provider,
      username: source.username,
      filename,
      reason,
      source: 'auto',
      failure_count: failures,
      created_at: t,
      expires_at: t + settings.blockMs,
    };
  };

  async function recordFailure(event: AttemptFinished, code: ErrorCode): Promise<void> {
    const { filename } = event;
    const source: SourceRef = { provider: event.provider || SLSKD, username: event.username };
    const bytes = Math.max(0, Math.round(event.bytes || 0));
    const { block } = ERROR_POLICIES[code];
    // An indexer release's source is the indexer that listed it: what failed (a torrent nobody
    // seeds, an NZB missing articles) is that release, and blocking the indexer would block every
    // release it lists. So a release's failures count, and block, per release.
    const release = event.release === true ? filename : undefined;
    const whole = release ?? WHOLE_USER;
    await handle.writeTx(async (tx) => {
      // First, so the peer's row lock is held for everything below (see bumpFailure).
      const tally = await stats.bumpFailure(source, bytes, event.at, tx);
      await stats.setFailuresByCode(source, bumpTally(tally, code), tx);

      if (block === 'file' || block === 'user') {
        // Non-retryable: the same file (or, banned, any file of this user) would fail again.
        const target = block === 'file' ? filename : whole;
        await entries.upsertAuto(
          autoEntry(source, target, describe(code, event.errorMessage), 1),
          now(),
          tx,
        );
      } else if (block === 'count') {
        await stats.insertFailure(
          {
            id: randomUUID(),
            ...source,
            filename,
            error_code: code,
            at: event.at,
            download_id: event.downloadId,
          },
          tx,
        );
        const since = event.at - settings.windowMs;
        // A torrent counts once per failure of it, not once per album track that joined it (one
        // stall fails them all together); an NZB is each track's own job, so each counts.
        const failures =
          release !== undefined && event.sharedJob === true
            ? await stats.countReleaseFailuresSince(source, release, since, tx)
            : await stats.countFailuresSince(source, since, tx, release);
        if (failures >= settings.failureThreshold) {
          const reason = `${failures} failures within ${hours(settings.windowMs)}, last ${describe(code, event.errorMessage)}`;
          await entries.upsertAuto(autoEntry(source, whole, reason, failures), now(), tx);
          // The failures that earned the block are spent: once it lapses the peer starts afresh.
          await stats.deleteFailures(source, tx, undefined, release);
        } else {
          await stats.deleteFailures(source, tx, since);
        }
      }
    });
  }

  const service = {
    /** The provider ids an entry may name now. */
    providers,

    async list(filter: { provider?: ProviderId } = {}): Promise<BlocklistEntryDto[]> {
      checkProvider(filter.provider, 'querystring/provider');
      return (await entries.listActive(now(), filter.provider)).map(toBlocklistEntryDto);
    },

    /**
     * Adds an entry, or, when the source already has one, makes it manual with the given reason and
     * expiry (`created` false). Race-safe without a transaction: the unique index decides.
     */
    async add(input: AddBlocklistEntry): Promise<{ entry: BlocklistEntryDto; created: boolean }> {
      checkProvider(input.provider, 'body/provider');
      const filename = input.filename ?? WHOLE_USER;
      const source: SourceRef = { provider: input.provider ?? SLSKD, username: input.username };
      for (let tries = 0; tries < 3; tries++) {
        const t = now();
        const expiresAt =
          input.expiresInDays === null || input.expiresInDays === undefined
            ? null
            : t + Math.round(input.expiresInDays * DAY_MS);
        // A lapsed entry is as good as gone: re-adding the source is a new entry, not an update.
        await entries.deleteLapsed(source, filename, t);
        const inserted = await entries.insertIfAbsent({
          id: randomUUID(),
          ...source,
          filename,
          reason: input.reason ?? null,
          source: 'manual',
          failure_count: 0,
          created_at: t,
          expires_at: expiresAt,
        });
        if (inserted) return { entry: toBlocklistEntryDto(inserted), created: true };
        const updated = await entries.updateManual(source, filename, {
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          expires_at: expiresAt,
        });
        if (updated) return { entry: toBlocklistEntryDto(updated), created: false };
        // Removed between the two statements: go round again.
      }
      throw new Error(`Could not add ${input.username} to the blocklist: it kept changing`);
    },

    async remove(id: string): Promise<void> {
      if (!(await entries.remove(id))) throw new NotFoundError(`Blocklist entry ${id}`);
    },

    /** A snapshot for one ranking: two queries per provider, then cheap synchronous lookups. */
    async sourceFilter(sources: readonly (SourceRef | string)[]): Promise<SourceFilter> {
      const unique = [...new Map(sources.map(asSource).map((s) => [sourceKey(s), s])).values()];
      const t = now();
      const [blocked, records] = await Promise.all([
        entries.activeFor(unique, t),
        stats.statsFor(unique),
      ]);
      const wholeSources = new Set<string>();
      const files = new Map<string, Set<string>>();
      for (const entry of blocked) {
        const key = sourceKey(entry);
        if (entry.filename === WHOLE_USER) wholeSources.add(key);
        else {
          const set = files.get(key) ?? new Set<string>();
          set.add(entry.filename);
          files.set(key, set);
        }
      }
      const bySource = new Map<string, PeerRecord>(
        records.map((r) => [
          sourceKey(r),
          { successes: r.successes, failures: peerFaults(r.failures_by_code, r.failures) },
        ]),
      );
      return {
        isBlocked: (c) => {
          const key = sourceKey({ provider: c.provider ?? SLSKD, username: c.username });
          return wholeSources.has(key) || (files.get(key)?.has(c.filename) ?? false);
        },
        peerRecord: (username, provider = SLSKD) => bySource.get(sourceKey({ provider, username })),
      };
    },

    /** Records an attempt outcome: statistics always; the blocklist per ERROR_POLICIES[code].block. */
    async record(event: AttemptFinished): Promise<void> {
      if (!event.username) return;
      if (event.outcome === 'succeeded') {
        await stats.recordSuccess({
          provider: event.provider || SLSKD,
          username: event.username,
          bytes: Math.max(0, Math.round(event.bytes || 0)),
          speed: event.averageSpeed,
          at: event.at,
        });
        return;
      }
      const code =
        event.errorCode !== null && isErrorCode(event.errorCode) ? event.errorCode : 'unknown';
      await recordFailure(event, code);
    },

    /** Deletes lapsed entries (returns how many) and failures that have left the window. */
    async cleanupExpired(): Promise<number> {
      const t = now();
      const removed = await entries.deleteExpired(t);
      await stats.pruneFailures(t - settings.windowMs);
      return removed;
    },

    /** Subscribes record() to 'attempt.finished' and cleans up hourly; returns a stop function. */
    start(): () => void {
      const off = bus.on('attempt.finished', (event) => {
        service
          .record(event)
          .catch((error: unknown) =>
            log?.warn(
              { err: error, username: event.username, downloadId: event.downloadId },
              'could not record an attempt outcome for the blocklist',
            ),
          );
      });
      const sweep = (): void => {
        service
          .cleanupExpired()
          .catch((error: unknown) => log?.warn({ err: error }, 'blocklist cleanup failed'));
      };
      sweep();
      const timer = setInterval(sweep, CLEANUP_EVERY_MS);
      // The sweep must never keep a stopping process alive.
      timer.unref();
      return () => {
        off();
        clearInterval(timer);
      };
    },
  };
  return service;
}

export type BlocklistService = ReturnType<typeof createBlocklistService>;
