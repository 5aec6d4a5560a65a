import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import { candidateId, isCandidateId } from '../matching/candidate-id.js';
import type { Candidate, DownloadProvider } from '../providers/provider.js';
import { clientFor, indexerFor, indexerIdsOf } from '../providers/provider-set.js';
import { cancelAtDaemon, enqueueRequestOf } from './attempt-transfer.js';
import type { DownloadStatus } from './download.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import type { Logger } from './download.job.js';
import type { AttemptRow, DownloadRepository, DownloadRow } from './download.repository.js';
import { ConflictError, NotFoundError } from './downloads.service.js';
import { readCandidates, type StoredCandidates, type StoredPick } from './search.step.js';
import type { SourcePickRepository } from './source-pick.repository.js';

/**
 * Manual pick: POST /api/downloads/{id}/source. The user names one of the download's candidates
 * (or a manual search's result) and the download switches to it next.
 *
 * Which downloads: one that waits, searches, is queued at a source or downloads from one (its
 * transfer is cancelled at the daemon first), and one that failed or was cancelled (it starts again,
 * retries reset, as a manual retry does). Not one whose file has arrived (`processing`: the file
 * is being filed, switching would throw it away) nor a completed one.
 *
 * A rejected candidate can be picked, the earlier indexers' of the round (`earlier`) too: the user
 * overrides the ranking (and the quality profile, and the blocklist). The pick records what it overrode, and the candidates response shows it.
 * The pick is stored on the download's candidates, so it survives a restart; the attempt that
 * takes it marks it started in the same write.
 */
export const PICKABLE_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'failed',
  'cancelled',
] as const satisfies readonly DownloadStatus[];

const FINISHED: readonly string[] = ['failed', 'cancelled'];

/** How long a switched download waits at most for its old transfer's cancel at the daemon. */
const HOLD_MS = 30_000;
/** How often a failed cancel of the old transfer is tried again while the hold lasts. */
const CANCEL_RETRY_MS = 1_000;

export interface SourcePickDeps {
  handle: DatabaseHandle;
  picks: SourcePickRepository;
  repo: Pick<DownloadRepository, 'attemptsFor'>;
  events: Pick<EventLog, 'appendMany'>;
  provider: DownloadProvider;
  now: () => number;
  log: Logger;
  runner: { wake(): void; abort(id: string): void };
}

/** A pick decided from the row as read: the candidate, and where it was found. */
type Choose = (stored: StoredCandidates | null) => Omit<StoredPick, 'pickedAt'>;

export function createSourcePickService(deps: SourcePickDeps) {
  const { handle, picks, now } = deps;

  const apply = async (id: string, choose: Choose): Promise<DownloadDto> => {
    const done = await handle.writeTx(async (tx) => {
      const row = await picks.get(id, tx);
      if (!row) throw new NotFoundError(`Download ${id}`);
      if (!(PICKABLE_STATUSES as readonly string[]).includes(row.status)) {
        throw new ConflictError(
          row.status === 'processing'
            ? `Download ${id} is processing: its file has arrived and is being filed`
            : `Download ${id} is ${row.status}; a source can be picked while it waits, searches, queues or downloads, or once it failed or was cancelled`,
        );
      }
      const stored = readCandidates(row.candidates);
      const pick: StoredPick = { ...choose(stored), pickedAt: now() };
      return switchTo(tx, row, stored, pick);
    });
    // The same file as the open attempt's: nothing was switched, the worker goes on following it.
    if (done.same) return done.download;
    deps.runner.abort(id);
    // A search the download had running is nobody's now: slskd would keep it for ever. It runs at
    // the indexer the row names; none named is the first of its profile's order, which is not
    // known here, so every indexer is told (an id an indexer never had is a no-op there).
    if (done.searchId) {
      const searchId = done.searchId;
      const at = done.searchAt ? [done.searchAt] : indexerIdsOf(deps.provider);
      for (const id of at) {
        try {
          void indexerFor(deps.provider, id)
            .deleteSearch(searchId)
            .catch(() => undefined);
        } catch {
          // An indexer removed since (a live provider set): nothing of ours is left there.
        }
      }
    }
    if (done.closed && done.holdUntil !== undefined) {
      // The old source's transfer is stopped before the new one is enqueued: the switch held the
      // download back (HOLD_MS) until now, so no worker, here or in another process, claims it
      // first. A cancel that fails (slskd unreachable) is tried again every CANCEL_RETRY_MS while
      // the hold lasts, and the download says why it waits; if it never gets through, the hold
      // runs out and the picked source starts anyway (the orphan sweep stops the old transfer once
      // slskd answers). A crash in between only delays it by that hold.
      const stopped = await stopOld(id, done.closed, done.holdUntil, done.recheck);
      if (!stopped) {
        const message = `Waiting to cancel the previous transfer at slskd (it did not answer); the picked source starts once it is cancelled, at the latest at ${new Date(done.holdUntil).toISOString()}`;
        if (await picks.noteHold(id, done.holdUntil, message))
          done.download = { ...done.download, errorMessage: message };
        retryStop(id, done.closed, done.holdUntil, done.recheck);
      }
    }
    deps.runner.wake();
    return done.download;
  };

  /**
   * Cancels the old transfer at the daemon; once it is stopped, ends the hold. `recheck`: the
   * attempt was closed by an earlier cancel whose call to the daemon may or may not have gone
   * through, so the daemon is asked for it first (cancelling one it removed already would fail).
   */
  const stopOld = async (
    id: string,
    closed: AttemptRow,
    holdUntil: number,
    recheck: boolean,
  ): Promise<boolean> => {
    const warn = (error: unknown) =>
      deps.log.warn({ id, error: String(error) }, 'could not cancel the transfer at slskd');
    const stopped = recheck
      ? await stillThere(deps.provider, closed).then(
          (there) => (there ? cancelAtDaemon(deps.provider, closed, warn) : true),
          (error: unknown) => (warn(error), false),
        )
      : await cancelAtDaemon(deps.provider, closed, warn);
    if (stopped) await picks.dueNow(id, holdUntil, now());
    return stopped;
  };

  /** Tries the cancel again while the hold lasts (timers unref'd: they never keep a process up). */
  const retryStop = (id: string, closed: AttemptRow, holdUntil: number, recheck: boolean) => {
    const again = () => {
      if (now() + CANCEL_RETRY_MS >= holdUntil) return;
      const timer = setTimeout(() => {
        stopOld(id, closed, holdUntil, recheck).then(
          (stopped) => (stopped ? deps.runner.wake() : again()),
          // The database went away (shutdown): the hold runs out by itself.
          () => undefined,
        );
      }, CANCEL_RETRY_MS);
      timer.unref();
    };
    again();
  };

  const switchTo = async (
    tx: Db,
    row: DownloadRow,
    stored: StoredCandidates | null,
    pick: StoredPick,
  ) => {
    const t = now();
    const open = row.current_attempt_id
      ? await picks.openAttempt(row.current_attempt_id, tx)
      : undefined;
    if (open && sameFile(open, pick.candidate)) {
      // A second click, or a client sending its request again: the file is already being
      // fetched. Cancelling and enqueueing it again would lose what has arrived.
      const recorded: StoredCandidates = {
        ...(stored ?? { query: '', ranked: [], rejected: [] }),
        pick: { ...pick, attemptId: open.id },
      };
      const kept = await picks.recordPick(row.id, row, JSON.stringify(recorded), t, tx);
      if (!kept) throw new Retry();
      const download = toDownloadDto(kept, await deps.repo.attemptsFor([row.id], tx));
      await deps.events.appendMany(tx, [{ type: 'download.updated', payload: download }]);
      return {
        download,
        same: true,
        closed: undefined,
        holdUntil: undefined,
        searchId: null,
        searchAt: null,
        recheck: false,
      };
    }
    const finished = FINISHED.includes(row.status);
    const closedNow = open
      ? await picks.closeInFlight(open.id, 'Switched to another source by the user', t, tx)
      : undefined;
    // A download cancelled moments ago ("cancelling"): the cancel's own call to the daemon may
    // still be on its way, or have failed. Its attempt's transfer is made sure of (asked for, and
    // cancelled if it is still there) under the same hold before the picked source starts.
    const cancelledLately =
      !closedNow && row.status === 'cancelled' && row.current_attempt_id
        ? await picks.cancelledSince(row.current_attempt_id, t - HOLD_MS, tx)
        : undefined;
    const closed = closedNow ?? cancelledLately;
    // A pick inside an earlier switch's hold (its old transfer's cancel may still be in flight)
    // keeps that hold: making the download due now would let a worker enqueue the new source
    // while the old one may still run at the daemon.
    const earlierHold = stored?.pick?.holdUntil;
    const holding =
      earlierHold !== undefined &&
      earlierHold > t &&
      row.run_after === earlierHold &&
      row.current_attempt_id === null;
    const holdUntil = closed ? t + HOLD_MS : holding ? earlierHold : undefined;
    const candidates: StoredCandidates = {
      ...(stored ?? { query: '', ranked: [], rejected: [] }),
      pick: holdUntil !== undefined ? { ...pick, holdUntil } : pick,
    };
    if (finished) await picks.retireAttempts(row.id, tx);
    let updated: DownloadRow | undefined;
    try {
      updated = await picks.switchSource(
        row.id,
        PICKABLE_STATUSES,
        row,
        {
          status: 'waiting',
          candidates: JSON.stringify(candidates),
          current_attempt_id: null,
          search_id: null,
          run_after: holdUntil ?? t,
          next_retry_at: null,
          error_code: null,
          error_message: null,
          queue_position: null,
          progress: 0,
          bytes_transferred: 0,
          updated_at: t,
          ...(finished ? { retry_count: 0, query_index: 0, search_provider: null } : {}),
        },
        tx,
      );
    } catch (error) {
      // A finished download of a track that is active again under another download.
      if (isUniqueViolation(error))
        throw new ConflictError('Another download of this track is already active');
      throw error;
    }
    if (!updated) {
      // Written meanwhile: roll this round back (the closed attempt too) and decide again.
      throw new Retry();
    }
    const download = toDownloadDto(updated, await deps.repo.attemptsFor([row.id], tx));
    await deps.events.appendMany(tx, [{ type: 'download.updated', payload: download }]);
    return {
      download,
      same: false,
      closed,
      holdUntil,
      searchId: row.search_id,
      searchAt: row.search_provider,
      recheck: closedNow === undefined,
    };
  };

  /**
   * A worker may write the row between the read and the switch (its search stored new candidates):
   * the switch then matches no row, the transaction rolls back, and the pick is decided again.
   */
  const retrying = async (id: string, choose: Choose): Promise<DownloadDto> => {
    for (let round = 0; ; round++) {
      try {
        return await apply(id, choose);
      } catch (error) {
        if (!(error instanceof Retry)) throw error;
        if (round >= 4) throw new ConflictError(`Download ${id} keeps changing; try again`);
      }
    }
  };

  return {
    /** Picks one of the download's candidates by its id (GET /api/downloads/{id}/candidates). */
    pick(id: string, wanted: string): Promise<DownloadDto> {
      return retrying(id, (stored) => fetchable(chosenFrom(stored, id, wanted)));
    },

    /** Points a download at a file found elsewhere (a manual search's result). */
    pickFile(id: string, candidate: Candidate): Promise<DownloadDto> {
      return retrying(id, () => ({
        candidateId: candidateId(candidate),
        candidate,
        from: 'search',
      }));
    },
  };

  /**
   * A pick whose download client is no longer configured (removed since the search, as an
   * earlier indexer's client may be) is refused: it would wait as unavailable for ever.
   */
  function fetchable(pick: Omit<StoredPick, 'pickedAt'>): Omit<StoredPick, 'pickedAt'> {
    try {
      clientFor(deps.provider, pick.candidate.provider);
    } catch {
      throw new ConflictError(
        `Candidate ${pick.candidateId} is fetched through "${pick.candidate.provider}", which is not a configured download client now`,
      );
    }
    return pick;
  }

  /** The candidate `wanted` names among the download's stored ones. */
  function chosenFrom(
    stored: StoredCandidates | null,
    id: string,
    wanted: string,
  ): Omit<StoredPick, 'pickedAt'> {
    // Ids are compared through isCandidateId: one handed out before an upgrade still resolves,
    // and the pick stores the file's current id.
    const ranked = stored?.ranked.find((r) => isCandidateId(r.candidate, wanted));
    if (ranked)
      return {
        candidateId: candidateId(ranked.candidate),
        candidate: ranked.candidate,
        from: 'ranked',
      };
    // A rejection, this indexer's first, then the earlier indexers' of the round (newest first):
    // a candidate carries its own client, so one from an earlier indexer is fetched from there.
    const lists = [
      stored?.rejected ?? [],
      ...[...(stored?.earlier ?? [])].reverse().map((e) => e.rejected),
    ];
    for (const list of lists) {
      const found = list.find((r) => isCandidateId(r.candidate, wanted));
      if (found)
        return {
          candidateId: candidateId(found.candidate),
          candidate: found.candidate,
          from: 'rejected',
          rejectedFor: found.reason,
        };
    }
    const earlier = stored?.pick;
    if (earlier && isCandidateId(earlier.candidate, wanted))
      return {
        candidateId: candidateId(earlier.candidate),
        candidate: earlier.candidate,
        from: earlier.from,
        ...(earlier.rejectedFor !== undefined ? { rejectedFor: earlier.rejectedFor } : {}),
      };
    throw new ConflictError(
      `Candidate ${wanted} is not among download ${id}'s candidates; they may have been searched again (GET /api/downloads/${id}/candidates)`,
    );
  }
}

export type SourcePickService = ReturnType<typeof createSourcePickService>;

/** Whether the daemon still has an unfinished transfer of this attempt (asked by its batch id). */
async function stillThere(provider: DownloadProvider, attempt: AttemptRow): Promise<boolean> {
  const found = await provider.findEnqueued(enqueueRequestOf(attempt));
  return found !== null && !FINISHED_TRANSFER.has(found.state);
}

const FINISHED_TRANSFER = new Set([
  'succeeded',
  'cancelled',
  'timed_out',
  'errored',
  'rejected',
  'aborted',
]);

/** Whether an attempt fetches this candidate's file: the same provider, source and path. */
function sameFile(a: AttemptRow, c: Candidate): boolean {
  return a.provider === c.provider && a.username === c.username && a.filename === c.filename;
}

/** The row changed between the read and the switch: the transaction is rolled back and run again. */
class Retry extends Error {}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
