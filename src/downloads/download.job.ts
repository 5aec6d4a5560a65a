import { redactUrls } from '../providers/link-redaction.js';
import type { Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AttemptsTable, DownloadsTable } from '../db/schema.js';
import { downloadEvents } from '../events/download-events.js';
import { retryDelayMs } from '../queue/backoff.js';
import { LeaseLostError, type Lease } from '../queue/queue.repository.js';
import { transition, type DownloadEvent, type DownloadStatus } from './download.js';
import { cancelAtDaemon } from './attempt-transfer.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';
import { unavailableCode, type ErrorCode } from './error-codes.js';
import { clientFor } from '../providers/provider-set.js';
import type { ProviderId, SourceRef } from '../providers/release.js';
import type { PipelineDeps } from './pipeline.deps.js';
import { readCandidates } from './search.step.js';

export {
  pipelineConfig,
  type LiveSettings,
  type Logger,
  type PipelineConfig,
  type PipelineDeps,
  type SourcePolicy,
  type AlbumTrackHook,
} from './pipeline.deps.js';

/**
 * One claimed download while a worker drives it. Every write goes through `write` (save, release,
 * park, updateAttempt are its common forms): the fenced write and the events it causes commit in
 * one transaction, so a committed change always has its event and a write that lost its fence
 * (LeaseLostError, rolled back) has none.
 */
export class JobContext {
  constructor(
    readonly deps: PipelineDeps,
    readonly lease: Lease,
    public row: DownloadRow,
    readonly signal: AbortSignal,
    /** Called once a committed write has given the lease back (the runner's slot is free). */
    private readonly onReleased?: () => void,
  ) {}

  /**
   * Attempts as last read; progress updates reuse them, so following a transfer costs one write
   * per change and no read. Every attempt write goes through `write` with `attemptsChanged`.
   */
  private attempts: AttemptRow[] | null = null;

  /** The Download as of the last committed write: what the next write's changes are taken against. */
  private shown: DownloadDto | null = null;

  /** True once this claim has ended (retry scheduled, failed, deferred, completed). */
  get released(): boolean {
    return this.row.lease_owner === null;
  }

  get status(): DownloadStatus {
    return this.row.status as DownloadStatus;
  }

  /**
   * Runs `fn`, a fenced write, and appends the events its change calls for (download-events.ts)
   * last in the same transaction: on PostgreSQL the append takes the event log's lock, held only
   * from there to the commit, with no call to the daemon inside. `fn` returns the row as it is now,
   * or null when it wrote nothing (then nothing is announced). Resolves true once committed.
   */
  async write(
    fn: (tx: Db) => Promise<DownloadRow | null>,
    options: { attemptsChanged?: boolean; speed?: number } = {},
  ): Promise<boolean> {
    const { handle, repo, events } = this.deps;
    const id = this.row.id;
    const done = await handle.writeTx(async (tx) => {
      // The first write of a claim reads what it changes from: the row as claimed and its attempts.
      const before = this.shown ?? toDownloadDto(this.row, await this.readAttempts(tx));
      const row = await fn(tx);
      if (!row) return null;
      const attempts =
        options.attemptsChanged || !this.attempts
          ? await repo.attemptsFor([id], tx)
          : this.attempts;
      const after = toDownloadDto(row, attempts);
      const batch = downloadEvents(before, after, options);
      const albumEvents =
        row.album_id && this.deps.albums && before.status !== after.status
          ? await this.deps.albums.trackChanged(tx, row)
          : [];
      if (batch.length + albumEvents.length > 0)
        await events.appendMany(tx, [...batch, ...albumEvents]);
      return { row, attempts, after, announced: batch.length > 0 };
    });
    if (!done) return false;
    this.row = done.row;
    this.attempts = done.attempts;
    this.shown = done.after;
    // Before anything else runs: the next claim may start while this job tidies up.
    if (this.released) this.onReleased?.();
    if (done.announced) this.deps.bus.emit('download.updated', done.after);
    return true;
  }

  /** Attempts for the baseline: read before the write, so they are as committed (cached). */
  private async readAttempts(tx: Db): Promise<AttemptRow[]> {
    this.attempts ??= await this.deps.repo.attemptsFor([this.row.id], tx);
    return this.attempts;
  }

  /**
   * A state write (through the state machine when `event` is given), fenced by the lease. `speed`
   * (bytes/s) rides along in a progress event.
   */
  async save(
    patch: Updateable<DownloadsTable>,
    event?: DownloadEvent,
    extra: { speed?: number } = {},
  ): Promise<void> {
    this.signal.throwIfAborted();
    const status = event ? transition(this.status, event) : this.status;
    const full = { ...patch, status, updated_at: this.deps.now() };
    // The row as committed, not the claim's copy plus the patch: a priority or queue position
    // changed from the API meanwhile (no token bump) must not be reverted in the next event.
    await this.write((tx) => this.deps.queue.fencedUpdate(this.lease, full, tx), extra);
  }

  /** An attempt write, fenced by this claim's lease (download.repository.ts states the rule). */
  async updateAttempt(id: string, patch: Updateable<AttemptsTable>): Promise<void> {
    await this.write(
      async (tx) => {
        await this.deps.repo.updateAttempt(this.lease, id, patch, tx);
        return this.row;
      },
      { attemptsChanged: true },
    );
  }

  /**
   * Called just before every side effect no fencing token can take back: a call that changes
   * something at the daemon (enqueue, cancel, forget), a file placed under its final name, slskd's
   * copy removed:
   * throws LeaseLostError unless the lease is still ours and valid, and extends it. The runner's
   * heartbeat aborts a job whose renewal failed, but a worker resumed after a pause (SIGSTOP, a
   * long GC, a frozen VM) runs its overdue timers before the heartbeat gets to say so; without this
   * check it would cancel a stalled-looking transfer that a newer owner is following.
   */
  async confirmLease(): Promise<void> {
    this.signal.throwIfAborted();
    const { queue, config, now } = this.deps;
    if (!(await queue.confirm(this.lease, now(), config.leaseMs))) {
      throw new LeaseLostError(this.lease.downloadId);
    }
  }

  /** Attempts were written outside `write`: read them again before the next event. */
  attemptsChanged(): void {
    this.attempts = null;
  }

  /** Ends this claim with a last fenced write; the queue may pick the download up again later. */
  async release(patch: Updateable<DownloadsTable>, event?: DownloadEvent): Promise<void> {
    const status = event ? transition(this.status, event) : this.status;
    const full = { ...patch, status, updated_at: this.deps.now() };
    await this.write((tx) => this.deps.queue.release(this.lease, full, tx));
  }

  /**
   * Parks the download while its transfer waits in the peer's queue: the lease and the runner slot
   * are given back, the status stays, and the source watch makes it ready when the transfer moves
   * (docs/architecture.md, "Slots"). False when `maxQueuedAtSource` downloads are parked already:
   * then this worker keeps following it in its slot.
   */
  async park(since: number): Promise<boolean> {
    this.signal.throwIfAborted();
    const t = this.deps.now();
    const limit = this.deps.settings.get('maxQueuedAtSource');
    return this.write(async (tx) => {
      const result = await this.deps.sourceWait.park(
        this.lease,
        since,
        limit,
        { updated_at: t },
        tx,
      );
      if (result === 'lost') throw new LeaseLostError(this.lease.downloadId);
      if (result === 'full') return null;
      return result.row;
    });
  }

  /**
   * Closes an attempt and tells the modules that keep peer records (blocklist, statistics). With
   * `next`, the download's own write (its status through the state machine) commits with it: a
   * finished transfer's "attempt succeeded" and "transfer done" are one commit, not two, on the
   * way from the transfer's end to the slot it frees.
   */
  async finishAttempt(
    attempt: AttemptRow,
    outcome:
      { state: 'succeeded' } | { state: 'failed' | 'cancelled'; code: ErrorCode; message: string },
    transfer?: { bytesTransferred: number; averageSpeed: number },
    next?: { patch: Updateable<DownloadsTable>; event: DownloadEvent },
  ): Promise<void> {
    const t = this.deps.now();
    const failed = outcome.state !== 'succeeded';
    const patch = {
      state: outcome.state,
      error_code: failed ? outcome.code : null,
      // A backstop: an adapter's message that quotes an indexer link would carry its API key into
      // the API, events, webhooks and the blocklist (link-redaction.ts).
      error_message: failed ? redactUrls(outcome.message) : null,
      updated_at: t,
      finished_at: t,
      // The speed sample of statistics (migration 017): the daemon's average over the transfer.
      ...(!failed && transfer && transfer.averageSpeed > 0
        ? { transfer_speed: Math.round(transfer.averageSpeed) }
        : {}),
    };
    if (next) {
      this.signal.throwIfAborted();
      const full = { ...next.patch, status: transition(this.status, next.event), updated_at: t };
      await this.write(
        async (tx) => {
          await this.deps.repo.updateAttempt(this.lease, attempt.id, patch, tx);
          return this.deps.queue.fencedUpdate(this.lease, full, tx);
        },
        { attemptsChanged: true },
      );
    } else {
      await this.updateAttempt(attempt.id, patch);
    }
    if (failed)
      this.deps.log.info(
        { id: this.row.id, user: attempt.username, code: outcome.code, message: outcome.message },
        'source failed',
      );
    if (outcome.state !== 'cancelled') {
      this.deps.bus.emit('attempt.finished', {
        downloadId: this.row.id,
        provider: attempt.provider,
        username: attempt.username,
        filename: attempt.filename,
        ...(attempt.release !== null
          ? { release: true, sharedJob: releaseProtocol(attempt.release) === 'torrent' }
          : {}),
        outcome: outcome.state,
        errorCode: failed ? outcome.code : null,
        errorMessage: failed ? outcome.message : null,
        bytes: transfer?.bytesTransferred ?? 0,
        averageSpeed: transfer && transfer.averageSpeed > 0 ? transfer.averageSpeed : null,
        at: t,
      });
    }
  }

  /**
   * Drops a finished transfer from the daemon's list. Best effort: a record slskd keeps anyway is no
   * reason to stop a download (the orphan sweep removes what is left). While the claim runs, the
   * lease is confirmed first (a newer owner may be following this very record); once this claim has
   * ended with its own last write (filed, failed), nobody follows it. Resolves once that is decided,
   * the forget itself goes on in the background; never rejects.
   */
  async forgetTransfer(source: SourceRef, transferId: string): Promise<void> {
    if (!this.released) {
      const held = await this.confirmLease().then(
        () => true,
        () => false,
      );
      if (!held) return;
    }
    void clientFor(this.deps.provider, source.provider)
      .forget(source.username, transferId)
      .catch(() => undefined);
  }

  /** Sleeps, but wakes (by throwing) as soon as the job is aborted. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(this.signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.signal.reason);
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * The search round failed as a whole (no source left): wait for the backoff and search again, or
   * fail for good once the retries are used up.
   */
  async retryLater(code: ErrorCode, message: string): Promise<void> {
    const { settings, now } = this.deps;
    if (this.row.retry_count >= this.row.max_retries) {
      await this.fail(code, message);
      return;
    }
    await this.closeOpenAttempt(code, message);
    const retry = this.row.retry_count + 1;
    const at = now() + retryDelayMs(retry, settings.get('retryBackoffSeconds'));
    // A search whose every result was rejected is kept through the backoff: it explains the wait
    // (GET /api/downloads/{id}/candidates) and holds no source to try again (needsSearch: none
    // ranked). Ranked sources, all tried by now, are dropped so the retry searches afresh.
    const stored = readCandidates(this.row.candidates);
    const explained = stored !== null && stored.ranked.length === 0;
    this.deps.log.info({ id: this.row.id, code, retry, at }, 'download will be retried');
    await this.release(
      {
        retry_count: retry,
        next_retry_at: at,
        run_after: at,
        error_code: code,
        error_message: message,
        search_id: null,
        query_index: 0,
        search_provider: null,
        candidates: explained ? this.row.candidates : null,
        current_attempt_id: null,
        queue_position: null,
      },
      'wait',
    );
  }

  /**
   * Before the download lets go of its current source for good (retry round, failure): a transfer
   * still open at the daemon is cancelled there, and the attempt is closed, so it neither keeps the
   * peer's slot nor finishes unseen later.
   */
  private async closeOpenAttempt(code: ErrorCode, message: string): Promise<void> {
    const id = this.row.current_attempt_id;
    const attempt = id ? await this.deps.repo.getAttempt(id) : undefined;
    if (!attempt || (attempt.state !== 'pending' && attempt.state !== 'enqueued')) return;
    await this.confirmLease();
    await cancelAtDaemon(this.deps.provider, attempt, (error) => {
      this.deps.log.warn({ id: this.row.id, error: String(error) }, 'could not cancel at slskd');
    });
    await this.finishAttempt(attempt, { state: 'failed', code, message });
  }

  async fail(code: ErrorCode, message: string): Promise<void> {
    await this.closeOpenAttempt(code, message);
    this.deps.log.warn({ id: this.row.id, code, message }, 'download failed');
    await this.release(
      { error_code: code, error_message: message, next_retry_at: null, queue_position: null },
      'fail',
    );
  }

  /**
   * A transient local fault while filing (the tag worker was lost): the download stays
   * `processing` with its attempt and downloaded file, and filing runs again after the backoff.
   * Each time uses up a retry, so a file that always stalls the worker ends as `code`.
   */
  async resumeLater(code: ErrorCode, message: string): Promise<void> {
    if (this.row.retry_count >= this.row.max_retries) {
      await this.fail(code, message);
      return;
    }
    const retry = this.row.retry_count + 1;
    const at = this.deps.now() + retryDelayMs(retry, this.deps.settings.get('retryBackoffSeconds'));
    this.deps.log.warn({ id: this.row.id, code, retry, at }, 'filing will be resumed');
    await this.release({
      retry_count: retry,
      next_retry_at: at,
      run_after: at,
      error_code: code,
      error_message: message,
    });
  }

  /**
   * The daemon is unreachable: give the slot back and wait without using up a retry. A download that
   * has nothing at the daemon yet waits as `waiting`; one with a transfer keeps its status so a
   * restart resumes following it.
   */
  async defer(message: string, provider: ProviderId = this.deps.provider.name): Promise<void> {
    const at = this.deps.now() + this.deps.deferMs;
    const keep =
      this.status === 'queued' || this.status === 'downloading' || this.status === 'processing';
    await this.release(
      { run_after: at, error_code: unavailableCode(provider), error_message: message },
      keep ? undefined : 'wait',
    );
  }
}

/** An attempt's stored release (JSON) says its protocol; unreadable: none. */
function releaseProtocol(json: string): string | undefined {
  try {
    return (JSON.parse(json) as { protocol?: string }).protocol;
  } catch {
    return undefined;
  }
}
