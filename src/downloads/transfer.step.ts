import { randomUUID } from 'node:crypto';
import { qualityTier } from '../matching/quality-policy.js';
import { ProviderError, type TransferStatus } from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import { sourcesOf } from '../providers/release.js';
import { followSiblings } from './album-release.step.js';
import { cancelUnlessFollowed, enqueueRequestOf } from './attempt-transfer.js';
import { LeaseLostError } from '../queue/queue.repository.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';
import { errorPolicy, type ErrorCode } from './error-codes.js';
import { indexerNow, indexerOrder, moveToNextIndexer } from './provider-fallback.js';
import { pendingPick, readCandidates } from './search.step.js';
import { follow, type Outcome } from './transfer-follow.js';

/**
 * Drives sources until one delivers a file (returns true: the download is now `processing` and
 * this claim is over, its filing a claim of its own) or the candidates run out (returns false: a
 * retry or failure has been recorded, or, when they were an album folder's pinned file, the
 * download is `searching` again with no candidates).
 */
export async function transferStep(ctx: JobContext): Promise<boolean> {
  const { repo } = ctx.deps;
  let attempt = ctx.row.current_attempt_id
    ? await repo.getAttempt(ctx.row.current_attempt_id)
    : undefined;
  if (attempt?.state === 'succeeded' && (ctx.status === 'queued' || ctx.status === 'downloading')) {
    // A crash between recording the success and moving on: the file is there, go file it.
    await ctx.release({ ...TO_FILING(ctx), progress: 100, queue_position: null }, 'transfer_done');
    return true;
  }
  // After a crash the current attempt may be mid-enqueue: ask the daemon before enqueueing again.
  let resuming =
    attempt !== undefined && (attempt.state === 'pending' || attempt.state === 'enqueued');
  for (;;) {
    if (!attempt || !(attempt.state === 'pending' || attempt.state === 'enqueued')) {
      attempt = await startNextAttempt(ctx);
      if (!attempt) return false;
      resuming = false;
    }
    const outcome = await runAttempt(ctx, attempt, resuming);
    if (outcome.kind === 'parked') return false;
    if (outcome.kind === 'succeeded') {
      // The slot hand-back: the bytes are in, so this transfer slot is free from this commit on
      // (the runner claims the next download at once) while filing, which can take seconds
      // (transcode check, tags, cover, fsyncs), waits for a filing slot of its own. One commit:
      // attempt succeeded, status `processing`, lease given back, due now.
      await ctx.finishAttempt(attempt, { state: 'succeeded' }, outcome.transfer, {
        patch: {
          ...TO_FILING(ctx),
          progress: 100,
          bytes_transferred: outcome.transfer.size,
          queue_position: null,
        },
        event: 'transfer_done',
      });
      return true;
    }
    if (outcome.kind === 'dropped' && attempt.requeues < 1) {
      ctx.deps.log.info(
        { id: ctx.row.id, user: attempt.username },
        'slskd dropped the transfer; enqueueing it again',
      );
      const batchId = randomUUID();
      await ctx.updateAttempt(attempt.id, {
        batch_id: batchId,
        transfer_id: null,
        state: 'pending',
        requeues: attempt.requeues + 1,
        updated_at: ctx.deps.now(),
      });
      attempt = {
        ...attempt,
        batch_id: batchId,
        transfer_id: null,
        state: 'pending',
        requeues: attempt.requeues + 1,
      };
      resuming = false;
      continue;
    }
    const code = outcome.kind === 'failed' ? outcome.code : 'transfer_failed';
    await ctx.finishAttempt(attempt, { state: 'failed', code, message: outcome.message });
    if (attempt.transfer_id) await ctx.forgetTransfer(attempt, attempt.transfer_id);
    attempt = undefined;
  }
}

/** The lease given back with a transfer done, due at once: filing is claimed in its own pool. */
const TO_FILING = (ctx: JobContext) =>
  ({ lease_owner: null, lease_expires_at: null, run_after: ctx.deps.now() }) as const;

/**
 * Picks the best candidate not tried in this round whose source has a free slot under the
 * per-source limit, waiting for a slot when only lower-quality sources are free.
 */
async function startNextAttempt(ctx: JobContext): Promise<AttemptRow | undefined> {
  const { repo, queue, config, settings, now } = ctx.deps;
  const stored = readCandidates(ctx.row.candidates);
  for (;;) {
    const all = await repo.attemptsFor([ctx.row.id]);
    const attempts = all.filter(
      // A source whose transfer a pause or schedule stopped (attempt `cancelled`) was not tried
      // and failed: it is the one to enqueue again.
      (a) => a.round === ctx.row.retry_count && a.state !== 'cancelled',
    );
    const tried = new Set(attempts.map((a) => `${a.username}\u0000${a.filename}`));
    const notTried = (stored?.ranked ?? []).filter(
      (r) => !tried.has(`${r.candidate.username}\u0000${r.candidate.filename}`),
    );
    // A failure earlier in this round may have blocked a peer or file since the ranking.
    const filter = ctx.deps.sources
      ? await ctx.deps.sources.sourceFilter(sourcesOf(notTried.map((r) => r.candidate)))
      : null;
    let untried = filter ? notTried.filter((r) => !filter.isBlocked(r.candidate)) : notTried;
    // An album track takes the release its siblings fetch from, read now rather than at the
    // ranking: the first track to pick decides and the later ones follow. Two tracks that pick
    // at the same moment (neither sees the other's attempt row yet) may take different releases:
    // both proceed, each fetching only its own track's file under its own attempt (an archived
    // NZB, which cannot be cut, is fetched whole per track), so no track is lost; the tracks
    // after them follow the one picked first
    // (albumReleaseOrder). A release this track found without it is out, in every round.
    if (!pendingPick(stored))
      untried = (await followSiblings(ctx, untried, all))?.ranked ?? untried;
    if (untried.length === 0 && stored?.pinned && !pendingPick(stored)) {
      // The album folder's file failed (or its peer is blocked now): the track is filled from
      // another source by the normal search, now and in this round, so the failed file stays
      // tried and the album does not wait a retry backoff for it. (A pick the user made since goes
      // first: below.)
      await ctx.save(
        { candidates: null, search_id: null, query_index: 0, search_provider: null },
        'search',
      );
      return undefined;
    }
    if (untried.length === 0 && !pendingPick(stored)) {
      const last = attempts.at(-1);
      // Every source of this indexer failed: the next indexer of the profile's order searches now,
      // in this round (provider-fallback.ts); after the last, a retry round.
      const order = await indexerOrder(ctx);
      const current = indexerNow(ctx, order);
      const why = last
        ? `${current}: every source failed; last: ${last.error_message ?? last.error_code}`
        : `${current}: no usable source`;
      if (await moveToNextIndexer(ctx, order, current, why, 'search')) return undefined;
      await ctx.retryLater(
        (last?.error_code as ErrorCode | null) ?? 'no_results',
        last
          ? `Every source failed; last: ${last.error_message ?? last.error_code}`
          : 'No usable source found',
      );
      return undefined;
    }
    // The user's pick goes first and alone: neither the blocklist, the ranking nor an idle peer
    // elsewhere overrides it. Its peer busy with another download: wait for it (below).
    const pick = pendingPick(stored);
    // A busy peer may be passed over only for a source of the same quality tier: a FLAC is worth
    // waiting for rather than taking a 128 kbps MP3 from an idle peer. The album's release moved
    // first is of the ranking's best tier (followAlbumRelease), so this is the ranking's tier.
    const bestTier = untried[0]
      ? qualityTier(untried[0].candidate, untried[0].candidate.extension).tier
      : 0;
    const eligible = pick
      ? [{ candidate: pick.candidate }]
      : untried.filter((r) => qualityTier(r.candidate, r.candidate.extension).tier === bestTier);
    for (const { candidate } of eligible) {
      const id = randomUUID();
      const t = now();
      const row: AttemptRow = {
        id,
        download_id: ctx.row.id,
        round: ctx.row.retry_count,
        provider: candidate.provider,
        username: candidate.username,
        filename: candidate.filename,
        size: candidate.size,
        extension: candidate.extension,
        bit_rate: candidate.bitRate ?? null,
        sample_rate: candidate.sampleRate ?? null,
        bit_depth: candidate.bitDepth ?? null,
        length_seconds: candidate.lengthSeconds ?? null,
        batch_id: randomUUID(),
        release: candidate.release ? JSON.stringify(candidate.release) : null,
        transfer_id: null,
        state: 'pending',
        error_code: null,
        error_message: null,
        local_path: null,
        target_path: null,
        requeues: 0,
        transfer_speed: null,
        post_step: null,
        post_digest: null,
        created_at: t,
        updated_at: t,
        finished_at: null,
        transcode_check: null,
        suspect_transcode: null,
        transcode_cutoff_hz: null,
      };
      const patch = {
        status: 'queued',
        current_attempt_id: id,
        // The pick is taken in the same write that starts its attempt: tried once, never lost.
        ...(pick && stored
          ? { candidates: JSON.stringify({ ...stored, pick: { ...pick, attemptId: id } }) }
          : {}),
        size: candidate.size,
        progress: 0,
        bytes_transferred: 0,
        queue_position: null,
        updated_at: t,
      } as const;
      // Slot check, attempt row and download row in one transaction: two workers cannot both take
      // a source's last slot, and the batch id is durable before the daemon hears of it (with the
      // event that announces the new source). The per-source limit holds where the client's
      // sources have few slots (slskd's peers); a client whose sources do not (SourceLimit
      // `none`) skips it.
      const limited = clientFor(ctx.deps.provider, candidate.provider).sourceLimit !== 'none';
      const taken = await ctx.write(
        async (tx) => {
          if (limited) {
            await repo.lockSource(candidate, tx);
            const perSource = settings.get('maxConcurrentPerUser');
            if ((await repo.activeAttemptsAt(candidate, tx)) >= perSource) return null;
          }
          await repo.insertAttempt(row, tx);
          return queue.fencedUpdate(ctx.lease, patch, tx);
        },
        { attemptsChanged: true },
      );
      if (!taken) continue;
      return row;
    }
    // Every remaining source's peer is busy with another download. Waiting here would hold a
    // runner slot (and could starve the very download that holds the peer), so give the slot
    // back and look again shortly.
    await ctx.release(
      { run_after: now() + config.pollIntervalMs, queue_position: null },
      ctx.status === 'searching' || ctx.status === 'waiting' ? undefined : 'search',
    );
    return undefined;
  }
}

async function runAttempt(
  ctx: JobContext,
  attempt: AttemptRow,
  resuming: boolean,
): Promise<Outcome> {
  const { repo, now } = ctx.deps;
  const provider = clientFor(ctx.deps.provider, attempt.provider);
  if (attempt.state === 'pending') {
    let transfer: TransferStatus;
    try {
      // A pending attempt after a crash may or may not have reached the daemon: its batch id tells.
      const existing = resuming
        ? await provider.findEnqueued(enqueueRequestOf(attempt, ctx.row))
        : null;
      if (!existing) await ctx.confirmLease();
      transfer = existing ?? (await provider.enqueue(enqueueRequestOf(attempt, ctx.row)));
    } catch (error) {
      // The daemon being down is nobody's source failure: let the job wait for it.
      if (!(error instanceof ProviderError) || errorPolicy(error.code).waitForDaemon) throw error;
      // A timeout or garbled answer does not prove the enqueue failed: ask by batch id first.
      const found =
        error.code === 'timeout' || error.code === 'unknown'
          ? await provider.findEnqueued(enqueueRequestOf(attempt, ctx.row)).catch(() => null)
          : null;
      if (!found) return { kind: 'failed', code: error.code, message: error.message };
      transfer = found;
    }
    const recorded = await ctx.write(
      async (tx) =>
        (await repo.markEnqueued(ctx.lease, attempt.id, transfer.id, now(), tx)) ? ctx.row : null,
      { attemptsChanged: true },
    );
    if (!recorded) {
      const current = await repo.getAttempt(attempt.id);
      if (current?.state !== 'pending' && current?.state !== 'enqueued') {
        // Closed (cancelled by the user) while the enqueue was in flight: take back what it made.
        await cancelUnlessFollowed(ctx.deps, attempt, transfer.id, () => undefined);
      }
      // Still open: another worker has taken the download over and follows (or will adopt) this
      // very transfer by its batch id. Leave it alone.
      throw new LeaseLostError(ctx.row.id);
    }
    attempt.state = 'enqueued';
    attempt.transfer_id = transfer.id;
  }
  return follow(ctx, attempt);
}
