import { Type, type Static } from 'typebox';
import { candidateId } from '../matching/candidate-id.js';
import { CONDITION_NAMES } from '../matching/quality-profile.js';
import type { Candidate } from '../providers/provider.js';
import { FileFields, fileDto, Nullable, TranscodeFields, transcodeFields } from './download.dto.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';
import { readCandidates, type StoredCandidates } from './search.step.js';

/**
 * GET /api/downloads/{id}/candidates: what the last search found, explained. Remote names and
 * paths are a peer's text, sent as JSON strings exactly as the peer reported them; nothing here is
 * markup, and a client must show them as text.
 */

const Condition = Type.String({ enum: [...CONDITION_NAMES] });

/**
 * What an indexer said of a release (a torrent, an NZB). Its link is left out: indexers put their
 * API key in it (Jackett, Prowlarr, most Newznab sites), and it is no use to a client of this API.
 */
const ReleaseInfoSchema = Type.Object({
  protocol: Type.Union([Type.Literal('torrent'), Type.Literal('usenet')]),
  indexer: Type.String(),
  title: Type.String(),
  size: Type.Number(),
  seeders: Nullable(Type.Number()),
  peers: Nullable(Type.Number()),
  grabs: Nullable(Type.Number()),
  publishedAt: Nullable(Type.String()),
});

/** One file a peer offered, as it answered the search: the file, and the peer's availability. */
const CandidateFileFields = {
  /** The handle to pick it with (POST /api/downloads/{id}/source); the same file always has the same id. */
  candidateId: Type.String(),
  /** Whether it is the source the user picked. */
  picked: Type.Boolean(),
  ...FileFields,
  hasFreeUploadSlot: Type.Boolean(),
  queueLength: Type.Number(),
  uploadSpeed: Type.Number(),
  /** Set for an indexer's release (a whole torrent or NZB): what the indexer said of it. */
  release: Nullable(ReleaseInfoSchema),
};

export const RankedCandidateSchema = Type.Object({
  /** 1 = the source tried first. */
  rank: Type.Integer({ minimum: 1 }),
  ...CandidateFileFields,
  score: Type.Number(),
  /** Why it scored so: the ranking's notes ("flac", "free slot", "album matches"), then the profile's. */
  notes: Type.Array(Type.String()),
  /** The quality profile's preferences it misses, each with its points (≤ 0) and reason. */
  profileParts: Type.Array(
    Type.Object({ condition: Condition, points: Type.Number(), reason: Type.String() }),
  ),
  /** The fake-lossless check of this source's file, once it was downloaded and checked. */
  ...TranscodeFields,
});

export const RejectedCandidateSchema = Type.Object({
  ...CandidateFileFields,
  /** Why it was turned down, e.g. "lossy (mp3)" or "remix, not requested". */
  reason: Type.String(),
  /** The profile's required conditions it fails; empty when the ranking's own rules rejected it. */
  conditions: Type.Array(Condition),
});

export const PickSchema = Type.Object({
  candidateId: Type.String(),
  provider: Type.String(),
  username: Type.String(),
  filename: Type.String(),
  /** ranked or rejected by this download's search (rejected: the user overrode the ranking), or a manual search's result. */
  from: Type.Union([Type.Literal('ranked'), Type.Literal('rejected'), Type.Literal('search')]),
  /** The rejection the user overrode; null unless `from` is rejected. */
  rejectedFor: Nullable(Type.String()),
  pickedAt: Type.String(),
  /** pending: tried next; started: its attempt has begun (see the download's attempts). */
  state: Type.Union([Type.Literal('pending'), Type.Literal('started')]),
});

export const CandidatesSchema = Type.Object({
  downloadId: Type.String(),
  /** The query whose answers these are; null before the first search. */
  query: Nullable(Type.String()),
  /** The quality profile they were ranked under; null before the first search. */
  profile: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  /** When the search ran ahead of the claim (prefetch); null when the worker searched itself. */
  searchedAheadAt: Nullable(Type.String()),
  /** In all; the lists hold the best 50 ranked and the first 200 rejected. */
  rankedTotal: Type.Integer(),
  rejectedTotal: Type.Integer(),
  ranked: Type.Array(RankedCandidateSchema),
  rejected: Type.Array(RejectedCandidateSchema),
  /** The source the user picked (POST /api/downloads/{id}/source); null when none. */
  pick: Nullable(PickSchema),
  /** The indexer these come from (the profile's provider order); null: the first, slskd. */
  provider: Nullable(Type.String()),
  /**
   * The indexers searched before it in this round, in order, and why SoulSpot went on to the next
   * (nothing acceptable, down, every source failed), each with its first rejections.
   */
  earlier: Type.Array(
    Type.Object({
      provider: Type.String(),
      reason: Type.String(),
      query: Nullable(Type.String()),
      rankedTotal: Type.Integer(),
      rejectedTotal: Type.Integer(),
      rejected: Type.Array(RejectedCandidateSchema),
    }),
  ),
});

export type CandidatesDto = Static<typeof CandidatesSchema>;

export function fileOf(c: Candidate, pickedId: string | null = null) {
  const id = candidateId(c);
  return {
    candidateId: id,
    picked: id === pickedId,
    ...fileDto(c),
    hasFreeUploadSlot: c.hasFreeUploadSlot,
    queueLength: c.queueLength,
    uploadSpeed: c.uploadSpeed,
    release: c.release
      ? {
          protocol: c.release.protocol,
          indexer: c.release.indexer,
          title: c.release.title,
          size: c.release.size,
          seeders: c.release.seeders ?? null,
          peers: c.release.peers ?? null,
          grabs: c.release.grabs ?? null,
          publishedAt:
            c.release.publishedAt !== undefined
              ? new Date(c.release.publishedAt).toISOString()
              : null,
        }
      : null,
  };
}

/** The stored candidates JSON of a download as the API shows it (older rows lack the newer fields). */
export function toCandidatesDto(
  row: Pick<DownloadRow, 'id' | 'candidates'>,
  attempts: readonly AttemptRow[] = [],
): CandidatesDto {
  const stored = readCandidates(row.candidates);
  const pick = stored?.pick ?? null;
  // From the picked file, not the stored id: a pick stored by an older SoulSpot holds an id of
  // the older form (candidate-id.ts), and the entry it names must still show as picked.
  const pickedId = pick ? candidateId(pick.candidate) : null;
  // The latest attempt of each file (attempts come oldest first): its check is the one to show.
  const checked = new Map<string, AttemptRow>();
  for (const a of attempts) checked.set(fileKey(a), a);
  return {
    downloadId: row.id,
    // A download started from a manual search's result has no search of its own yet.
    query: stored?.query || null,
    profile: stored?.profile ?? null,
    searchedAheadAt:
      stored?.prefetchedAt !== undefined ? new Date(stored.prefetchedAt).toISOString() : null,
    rankedTotal: stored?.rankedTotal ?? stored?.ranked.length ?? 0,
    rejectedTotal: stored?.rejectedTotal ?? stored?.rejected.length ?? 0,
    ranked: (stored?.ranked ?? []).map((r, i) => ({
      rank: i + 1,
      ...fileOf(r.candidate, pickedId),
      score: r.score,
      notes: r.notes,
      profileParts: r.profileParts ?? [],
      ...transcodeFields(checked.get(fileKey(r.candidate)) ?? {}),
    })),
    rejected: (stored?.rejected ?? []).map((r) => rejectedDto(r, pickedId)),
    pick: pick
      ? {
          candidateId: candidateId(pick.candidate),
          provider: pick.candidate.provider,
          username: pick.candidate.username,
          filename: pick.candidate.filename,
          from: pick.from,
          rejectedFor: pick.rejectedFor ?? null,
          pickedAt: new Date(pick.pickedAt).toISOString(),
          state: pick.attemptId === undefined ? 'pending' : 'started',
        }
      : null,
    provider: stored?.provider ?? null,
    earlier: (stored?.earlier ?? []).map((e) => ({
      provider: e.provider,
      reason: e.reason,
      query: e.query ?? null,
      rankedTotal: e.rankedTotal,
      rejectedTotal: e.rejectedTotal,
      rejected: e.rejected.map((r) => rejectedDto(r, pickedId)),
    })),
  };
}

function rejectedDto(r: StoredCandidates['rejected'][number], pickedId: string | null) {
  return {
    ...fileOf(r.candidate, pickedId),
    reason: r.reason,
    conditions: r.conditions ?? [],
  };
}

function fileKey(f: { provider: string; username: string; filename: string }): string {
  return JSON.stringify([f.provider, f.username, f.filename]);
}
