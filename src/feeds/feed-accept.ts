import type { Updateable } from 'kysely';
import type { CreateAlbumRequest } from '../albums/albums.dto.js';
import { dedupeKey, type TrackRequest } from '../downloads/download.js';
import type { Logger } from '../downloads/download.job.js';
import { UnknownProviderError } from '../downloads/provider-check.js';
import { normalizeForMatch } from '../matching/normalize.js';
import type { EntryRow, FeedsRepository } from './feeds.repository.js';
import type { FeedEntriesTable } from './feeds.tables.js';

/**
 * Matches become downloads here, each exactly once.
 *
 * The order is what makes it safe. A poll commits a match as a `pending` entry in the same
 * transaction that records the entry (unique per feed and entry id), so a feed showing it again,
 * in this process or another, finds the entry and adds nothing. Then this step claims the pending
 * entry (a conditional UPDATE: one process at a time), asks for the download through the
 * ordinary accept paths (albums service, downloads service), and marks the entry with what it
 * became. A crash before the accept leaves the entry pending: it is accepted after the restart
 * (nothing lost). A crash after the accept and before the mark leaves it pending too, and the
 * second try finds what the first one asked for (the album by artist and title, the track by its
 * dedupe key in the queue or library) and records that instead of asking again (nothing doubled).
 */
export interface AcceptTargets {
  albums: { create(body: CreateAlbumRequest): Promise<{ id: string }> };
  downloads: {
    create(request: TrackRequest): Promise<{ download: { id: string }; created: boolean }>;
  };
}

export interface AcceptDeps {
  repo: FeedsRepository;
  owner: string;
  now: () => number;
  log: Pick<Logger, 'warn'>;
  targets: AcceptTargets;
}

/** How long an accept holds its entry before another process may try it. */
export const ACCEPT_CLAIM_MS = 60_000;
/** Tries of a match whose accept keeps failing before it is recorded as failed. */
export const MAX_ACCEPT_ATTEMPTS = 8;

type Patch = Updateable<FeedEntriesTable>;

/** Accepts up to `limit` pending matches; returns how many it settled (accepted, existing, failed). */
export async function acceptPending(deps: AcceptDeps, limit = 100): Promise<number> {
  const ids = await deps.repo.pendingEntries(deps.now(), limit);
  let settled = 0;
  for (const id of ids) {
    const t = deps.now();
    const entry = await deps.repo.claimEntry(id, {
      owner: deps.owner,
      now: t,
      until: t + ACCEPT_CLAIM_MS,
    });
    if (!entry) continue;
    const patch = await acceptOne(deps, entry);
    if (patch.outcome !== 'pending') settled++;
    await deps.repo.finishEntry(id, deps.owner, { ...patch, updated_at: deps.now() });
  }
  return settled;
}

async function acceptOne(deps: AcceptDeps, entry: EntryRow): Promise<Patch> {
  const artist = entry.artist ?? '';
  const release = entry.release ?? '';
  try {
    if (entry.kind === 'track') {
      const request: TrackRequest = {
        artist,
        title: release,
        qualityProfileId: entry.quality_profile_id,
      };
      const inLibrary = await deps.repo.completedTrack(dedupeKey(request));
      if (inLibrary)
        return {
          outcome: 'existing',
          download_id: inLibrary,
          reason: `${entry.reason}; the library has this track`,
        };
      const asked = await withPreference(deps, entry, (provider) =>
        deps.targets.downloads.create({ ...request, ...provider }),
      );
      const { download, created } = asked.value;
      return created
        ? { outcome: 'accepted', download_id: download.id, ...asked.note }
        : {
            outcome: 'existing',
            download_id: download.id,
            reason: `${entry.reason}; the queue has this track`,
          };
    }
    const wanted = normalizeForMatch(release);
    const existing = (await deps.repo.albumsOf(artist)).find(
      (a) => normalizeForMatch(a.album) === wanted,
    );
    if (existing)
      return {
        outcome: 'existing',
        album_id: existing.id,
        reason: `${entry.reason}; this album was asked for already`,
      };
    const album = await withPreference(deps, entry, (provider) =>
      deps.targets.albums.create({
        artist,
        album: release,
        year: entry.year,
        qualityProfileId: entry.quality_profile_id,
        ...provider,
      }),
    );
    return { outcome: 'accepted', album_id: album.value.id, ...album.note };
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    const message = error instanceof Error ? error.message : String(error);
    // A request the accept refuses as such (400: its profile is gone) will not get better.
    if (
      (status !== undefined && status >= 400 && status < 500 && status !== 429) ||
      entry.attempts >= MAX_ACCEPT_ATTEMPTS
    ) {
      return { outcome: 'failed', last_error: message, claim_owner: null, claim_until: null };
    }
    // Busy (429: queue full, album searches at their bound) or down: tried again later, doubling.
    deps.log.warn({ entry: entry.id, error: message }, 'feed match not accepted yet; will retry');
    return {
      outcome: 'pending',
      last_error: message,
      claim_owner: null,
      claim_until: deps.now() + Math.min(3_600_000, 15_000 * 2 ** Math.min(entry.attempts, 10)),
    };
  }
}

/**
 * Asks with the rule's provider (searched first); one that is no longer a configured indexer (the
 * source was removed since the rule was written) is dropped with a warning and the request asked
 * again without it: the match still becomes its download, searching the profile's order, and the
 * entry's reason says so. Only that refusal is taken this way; any other error is the caller's.
 */
async function withPreference<T>(
  deps: AcceptDeps,
  entry: EntryRow,
  ask: (provider: { provider?: string }) => Promise<T>,
): Promise<{ value: T; note: { reason?: string } }> {
  const provider = entry.provider ?? null;
  if (provider === null) return { value: await ask({}), note: {} };
  try {
    return { value: await ask({ provider }), note: {} };
  } catch (error) {
    if (!(error instanceof UnknownProviderError)) throw error;
    deps.log.warn(
      { entry: entry.id, provider, error: error.message },
      "watch rule's provider is not a configured indexer now; asking without it",
    );
    return {
      value: await ask({}),
      note: {
        reason: `${entry.reason}; provider "${provider}" is not configured now, so it searches its profile's providers`,
      },
    };
  }
}
