import { ProviderError, type TransferStatus } from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import { enqueueRequestOf } from './attempt-transfer.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';
import { errorPolicy, type ErrorCode } from './error-codes.js';
import type { TransferUpdate } from './transfer-monitor.js';

/** How following a transfer ended (transfer.step.ts acts on it). */
export type Outcome =
  | { kind: 'succeeded'; transfer: TransferStatus }
  | { kind: 'failed'; code: ErrorCode; message: string }
  /** The daemon lost the transfer (its restart): the same source is enqueued again, once. */
  | { kind: 'dropped'; message: string }
  /** Waiting in the peer's queue without a worker now (the claim has ended). */
  | { kind: 'parked' };

/**
 * How long a transfer sits in a peer's queue before its download is parked, in poll intervals:
 * long enough that a queue which moves at once costs no release and re-claim, short enough that a
 * peer's long queue frees the runner slot within seconds.
 */
const PARK_AFTER_POLLS = 3;

/** Follows one transfer through the monitor until it ends, stalls or disappears. */
export async function follow(ctx: JobContext, attempt: AttemptRow): Promise<Outcome> {
  const { monitor, config, settings, now } = ctx.deps;
  const provider = clientFor(ctx.deps.provider, attempt.provider);
  const transferId = attempt.transfer_id as string;
  const updates: TransferUpdate[] = [];
  let wake: (() => void) | null = null;
  const unwatch = monitor.watch(
    transferId,
    (u) => {
      updates.push(u);
      wake?.();
    },
    attempt.provider,
  );
  let lastChangeAt = now();
  let lastKey = '';
  // Back from parking: the transfer has been waiting in the peer's queue since then (its stall
  // deadline runs from there, not from this claim).
  const parkedSince = ctx.row.source_wait_since;
  if (parkedSince !== null && parkedSince !== undefined) {
    lastChangeAt = parkedSince;
    lastKey = `queued_remotely:${ctx.row.bytes_transferred}`;
    await ctx.save({ source_wait_since: null });
  }
  const parkAfterMs = config.pollIntervalMs * PARK_AFTER_POLLS;
  let parkTryAt = 0;
  let missing = 0;
  let wasUnavailable = false;
  let positionAt = 0;
  /** When the next progress write may go (PROGRESS_WRITE_MS). */
  let progressAt = 0;
  try {
    for (;;) {
      ctx.signal.throwIfAborted();
      if (updates.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const done = (): void => {
            clearTimeout(timer);
            ctx.signal.removeEventListener('abort', onAbort);
            wake = null;
          };
          const onAbort = (): void => {
            done();
            reject(ctx.signal.reason);
          };
          const timer = setTimeout(() => (done(), resolve()), config.pollIntervalMs * 2);
          wake = () => (done(), resolve());
          ctx.signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      const update = updates.shift();
      const daemonDown =
        update?.kind === 'unavailable' &&
        update.error instanceof ProviderError &&
        errorPolicy(update.error.code).waitForDaemon;
      if (daemonDown) {
        wasUnavailable = true;
        continue;
      }
      // Any other failure to read the list (an oversized or malformed answer) is no excuse: the
      // stall deadline keeps running, so the download cannot hang here for ever.
      if (wasUnavailable && update?.kind !== 'unavailable') {
        // Time the daemon was unreachable is nobody's stall.
        wasUnavailable = false;
        lastChangeAt = now();
      }
      if (update?.kind === 'missing') {
        if (++missing < 3) continue;
        const found = await provider.findEnqueued(enqueueRequestOf(attempt, ctx.row));
        if (found && !found.removed) {
          return follow(ctx, { ...attempt, transfer_id: found.id });
        }
        return { kind: 'dropped', message: 'The transfer disappeared from slskd' };
      }
      if (update?.kind === 'status') {
        missing = 0;
        const t = update.transfer;
        const key = `${t.state}:${t.bytesTransferred}`;
        if (key !== lastKey) {
          lastKey = key;
          lastChangeAt = now();
        }
        const outcome = await applyStatus(
          ctx,
          attempt,
          t,
          () => {
            const due = now() >= positionAt;
            if (due) positionAt = now() + config.pollIntervalMs * 5;
            return due;
          },
          () => {
            const due = now() >= progressAt;
            if (due) progressAt = now() + PROGRESS_WRITE_MS;
            return due;
          },
        );
        if (outcome) return outcome;
        const waited = now() - lastChangeAt;
        const stalled = waited > settings.get('stallTimeoutSeconds') * 1000;
        if (t.state === 'queued_remotely' && waited >= parkAfterMs && !stalled) {
          if (now() >= parkTryAt) {
            if (await ctx.park(lastChangeAt)) return { kind: 'parked' };
            // Every parking place is taken: follow it here and ask again later.
            parkTryAt = now() + parkAfterMs;
          }
        }
      }
      // Only a list read judges a stall: a wake-up of the timer alone has seen nothing. When the
      // event loop lags (a process just started on a loaded machine), the first wait can last past
      // the deadline before the monitor has delivered anything; failing then would give up a
      // healthy source and end in a new round that enqueues every source again. The monitor
      // delivers an update to every watcher each cycle (its list request times out), so the
      // deadline still bounds the wait.
      const stallSeconds = settings.get('stallTimeoutSeconds');
      if (update !== undefined && now() - lastChangeAt > stallSeconds * 1000) {
        const state = lastKey.split(':')[0] ?? 'unknown';
        // After a pause every timer fires at once and this deadline has passed: only a worker that
        // still holds its lease may cancel (a newer owner may be following this transfer).
        await ctx.confirmLease();
        await provider.cancel(attempt.username, transferId).catch((error: unknown) => {
          ctx.deps.log.warn(
            { id: ctx.row.id, error: String(error) },
            'cancel of a stalled transfer failed',
          );
        });
        return {
          kind: 'failed',
          code: 'queue_timeout',
          message: `No progress for ${stallSeconds} s (${state})`,
        };
      }
    }
  } finally {
    unwatch();
  }
}

/**
 * The shortest gap between two progress writes of one transfer. Each is a commit with an event
 * (and, on PostgreSQL, a turn at the event log's append lock, which the commit that frees a slot
 * waits for), and slskd saves its byte count only about every 250 ms anyway: with a short poll
 * interval, writing at every cycle only repeated the numbers' cadence at the cost of the slot
 * refill. The start of a transfer and its end are written at once, as always.
 */
export const PROGRESS_WRITE_MS = 250;

async function applyStatus(
  ctx: JobContext,
  attempt: AttemptRow,
  t: TransferStatus,
  positionDue: () => boolean,
  progressDue: () => boolean,
): Promise<Outcome | null> {
  const provider = clientFor(ctx.deps.provider, attempt.provider);
  switch (t.state) {
    case 'queued_locally':
    case 'requested':
    case 'queued_remotely': {
      if (t.state === 'queued_remotely' && positionDue()) {
        const position = await provider.queuePosition(attempt.username, t.id);
        if (position !== null && position !== ctx.row.queue_position)
          await ctx.save({ queue_position: position });
      }
      return null;
    }
    case 'initializing':
    case 'in_progress': {
      const progress = Math.min(100, t.percentComplete);
      if (ctx.status === 'queued') {
        await ctx.save(
          { progress, bytes_transferred: t.bytesTransferred, queue_position: null },
          'start_transfer',
        );
      } else if (t.bytesTransferred !== ctx.row.bytes_transferred && progressDue()) {
        // Only the numbers move: announced as a compact download.progress delta.
        await ctx.save({ progress, bytes_transferred: t.bytesTransferred }, undefined, {
          speed: t.averageSpeed,
        });
      }
      return null;
    }
    case 'succeeded':
      return { kind: 'succeeded', transfer: t };
    default: {
      const failure = provider.describeFailure(t);
      if (failure.daemonRestart) return { kind: 'dropped', message: failure.message };
      // slskd will flip this back to "Queued, Locally" and try again: keep following it (the
      // stall deadline still bounds the wait).
      if (!failure.final) return null;
      return { kind: 'failed', code: failure.code, message: failure.message };
    }
  }
}
