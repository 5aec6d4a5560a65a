import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { AlbumTrackHook } from './download.job.js';
import { TERMINAL_STATUSES } from './download.js';
import {
  CHUNK,
  type BatchFilterQuery,
  type QueueControlRepository,
} from './queue-control.repository.js';

/** What a batch did: every id is either a success or an error saying why not. */
export interface BatchResult {
  successCount: number;
  failedCount: number;
  errors: { id: string; code: BatchErrorCode; message: string }[];
}

export type BatchErrorCode = 'not_found' | 'conflict' | 'duplicate_active';
export type BatchAction = 'cancel' | 'retry' | 'set_priority' | 'pause' | 'resume' | 'remove';

/** Set inside a transaction that closed attempts: their transfers are swept once it has committed. */
export interface AfterCommit {
  sweep: boolean;
}

type Work = (
  chunk: string[],
  tx: Db,
  after: AfterCommit,
) => Promise<{ done: string[]; errors?: BatchResult['errors'] }>;

export interface BatchDeps {
  handle: DatabaseHandle;
  control: QueueControlRepository;
  events: Pick<EventLog, 'append' | 'wake'>;
  now: () => number;
  runner: { wake(): void; abort(id: string): void };
  /** Cancels the transfers of closed attempts at slskd, now or once it is reachable. */
  sweepTransfers(): void;
  /** Batches that change album tracks' statuses announce their albums too (src/albums). */
  albums?: Pick<AlbumTrackHook, 'albumsOf' | 'albumsChanged'>;
}

/**
 * The per-id commands of `POST /api/downloads/batch` (queue-control.service.ts composes them). Each
 * chunk of ids is one transaction holding the change and its `downloads.changed` event, so 10,000
 * ids are twenty short commits and a crash loses no half-applied chunk.
 */
export function createBatchActions(deps: BatchDeps) {
  const { control, handle, now, events } = deps;

  /** Runs `work` over the ids in chunks; ids it did not touch are explained by `why`. */
  const batch = async (
    action: string,
    ids: string[],
    work: Work,
    why: (row: { status: string; hold: string }) => string,
    /** The action changes statuses (cancel, retry, remove): the tracks' albums are announced. */
    announceAlbums = false,
  ): Promise<BatchResult> => {
    const result: BatchResult = { successCount: 0, failedCount: 0, errors: [] };
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      const after: AfterCommit = { sweep: false };
      const { done, errors = [] } = await handle.writeTx(async (tx) => {
        // Read before the work: a remove deletes the rows that say which album they were on.
        const albumOf =
          announceAlbums && deps.albums ? await deps.albums.albumsOf(tx, chunk) : undefined;
        const out = await work(chunk, tx, after);
        if (out.done.length > 0) {
          const albumIds = albumOf ? out.done.flatMap((id) => albumOf.get(id) ?? []) : [];
          // Album rows are locked before the event log's lock (event-log.ts), as a worker's write does.
          const albumEvents =
            albumIds.length > 0 && deps.albums ? await deps.albums.albumsChanged(tx, albumIds) : [];
          await events.append(tx, 'downloads.changed', { action, ids: out.done });
          for (const e of albumEvents) await events.append(tx, e.type, e.payload);
        }
        return out;
      });
      // Only now do the closed attempts show: a sweep started inside the transaction could read
      // them as still open and leave their transfers running until its next round.
      if (after.sweep) deps.sweepTransfers();
      // Resumed, retried or re-prioritized downloads are claimable from the commit on.
      if (done.length > 0) deps.runner.wake();
      const explained = new Set([...done, ...errors.map((e) => e.id)]);
      const rest = chunk.filter((id) => !explained.has(id));
      const rows = new Map((await control.existing(rest)).map((r) => [r.id, r]));
      result.successCount += done.length;
      result.errors.push(...errors);
      for (const id of rest) {
        const row = rows.get(id);
        result.errors.push(
          row
            ? { id, code: 'conflict', message: why(row) }
            : { id, code: 'not_found', message: `Download ${id} not found` },
        );
      }
    }
    result.failedCount = result.errors.length;
    // The whole batch, announced once (a notification event); a crash half-way announces nothing.
    if (unique.length > 0) {
      await handle.writeTx((tx) =>
        events.append(tx, 'batch.completed', {
          action,
          total: unique.length,
          successCount: result.successCount,
          failedCount: result.failedCount,
        }),
      );
    }
    events.wake();
    return result;
  };

  /** Stops the transfers of downloads taken from their workers (pause, cancel). */
  const closeTransfers = async (
    rows: { current_attempt_id: string | null }[],
    message: string,
    tx: Db,
    after: AfterCommit,
  ): Promise<void> => {
    const attempts = rows.flatMap((r) => (r.current_attempt_id ? [r.current_attempt_id] : []));
    if ((await control.closeInFlight(attempts, message, now(), tx)) > 0) after.sweep = true;
  };

  const abortAll = (ids: string[]): void => {
    for (const id of ids) deps.runner.abort(id);
  };

  const actions = {
    pause: (ids: string[]) =>
      batch(
        'pause',
        ids,
        async (chunk, tx, after) => {
          const held = await control.hold(chunk, 'paused', null, now(), tx);
          // A filing download keeps its file: it resumes filing. Only a transfer is stopped.
          await closeTransfers(
            held.filter((r) => r.status === 'queued' || r.status === 'downloading'),
            'Paused by the user',
            tx,
            after,
          );
          abortAll(held.map((r) => r.id));
          return { done: held.map((r) => r.id) };
        },
        (r) => `Download is ${r.status}; only unfinished downloads can be paused`,
      ),

    resume: (ids: string[]) =>
      batch(
        'resume',
        ids,
        async (chunk, tx) => {
          const released = await control.release(chunk, now(), tx);
          return { done: released.map((r) => r.id) };
        },
        (r) =>
          r.hold === 'none'
            ? 'Download is not paused or scheduled'
            : `Download is ${r.status}; only unfinished downloads can be resumed`,
      ),

    cancel: (ids: string[]) =>
      batch(
        'cancel',
        ids,
        async (chunk, tx, after) => {
          const rows = await control.cancel(chunk, now(), tx);
          await closeTransfers(rows, 'Cancelled by the user', tx, after);
          abortAll(rows.map((r) => r.id));
          return { done: rows.map((r) => r.id) };
        },
        (r) => `Download is ${r.status} and cannot be cancelled`,
        true,
      ),

    retry: (ids: string[]) =>
      batch(
        'retry',
        ids,
        async (chunk, tx) => {
          // One per track: two failed downloads of the same track cannot both become active.
          const seen = new Map<string, string>();
          const errors: BatchResult['errors'] = [];
          for (const { id, dedupe_key } of await control.keys(chunk, tx)) {
            if (seen.has(dedupe_key))
              errors.push({
                id,
                code: 'duplicate_active',
                message: `Download ${seen.get(dedupe_key)} of the same track is retried instead`,
              });
            else seen.set(dedupe_key, id);
          }
          const rows = await control.retry([...seen.values()], now(), tx);
          const done = rows.map((r) => r.id);
          if (done.length > 0) await control.retireAttempts(done, tx);
          const retried = new Set(done);
          for (const id of seen.values()) {
            if (!retried.has(id)) {
              // Either not finished, or another download of the track is active.
              const [row] = await control.existing([id], tx);
              if (row && (TERMINAL_STATUSES as readonly string[]).includes(row.status))
                errors.push({
                  id,
                  code: 'duplicate_active',
                  message: 'Another download of this track is already active',
                });
            }
          }
          return { done, errors };
        },
        (r) => `Download is ${r.status}; only failed or cancelled downloads can be retried`,
        true,
      ),

    setPriority: (ids: string[], priority: number) =>
      batch(
        'set_priority',
        ids,
        async (chunk, tx) => {
          const rows = await control.setPriority(chunk, priority, now(), tx);
          return { done: rows.map((r) => r.id) };
        },
        () => 'unreachable',
      ),

    remove: (ids: string[]) =>
      batch(
        'remove',
        ids,
        async (chunk, tx) => ({
          done: (await control.remove(chunk, TERMINAL_STATUSES, tx)).map((r) => r.id),
        }),
        (r) => `Download is ${r.status}; only finished downloads can be removed (cancel it first)`,
        true,
      ),
  };

  /** The ids a filter matches, all of them, in pages (a batch over "every failed download"). */
  const idsMatching = async (filter: BatchFilterQuery): Promise<string[]> => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await control.matching(filter, after, 5000);
      ids.push(...page.map((r) => r.id));
      if (page.length < 5000) return ids;
      after = page.at(-1)!.id;
    }
  };

  return { ...actions, idsMatching, closeTransfers };
}

export type BatchActions = ReturnType<typeof createBatchActions>;
