import { ProviderError } from '../providers/provider.js';
import { errorPolicy } from './error-codes.js';
import { LeaseLostError, type Lease } from '../queue/queue.repository.js';
import { isActive } from './download.js';
import { JobContext, type PipelineDeps } from './download.job.js';
import { FiledUnrecordedError, importStep } from './import.step.js';
import { needsSearch, readCandidates, searchStep, type StoredCandidates } from './search.step.js';
import { indexerOrder } from './provider-fallback.js';
import { indexerIdsOf } from '../providers/provider-set.js';
import { transferStep } from './transfer.step.js';

/**
 * Drives one claimed download from whatever status it is in to the end of this claim: completed,
 * failed, released to wait (retry backoff, daemon down), or handed to the other slot pool. Every
 * status is a resume point, so a crash at any moment only means the next claim continues from the
 * last fenced write. `released` is called once the claim's last write has committed (the runner's
 * slot is free from then on).
 *
 * A claim works only on its pool's part (docs/architecture.md, "Slots"): a transfer claim
 * searches, enqueues and follows until the bytes are in, and the commit that records the transfer
 * done gives its transfer slot back (transfer.step.ts); a filing claim (`processing`) verifies and
 * files, and a rejected file goes back to the transfer pool for the next source, since a filing
 * slot must never start a transfer.
 */
export async function runDownload(
  deps: PipelineDeps,
  lease: Lease,
  signal: AbortSignal,
  released?: () => void,
): Promise<void> {
  const row = await deps.repo.get(lease.downloadId);
  if (!row || row.lease_token !== lease.token || !isActive(row.status as never)) return;
  const ctx = new JobContext(deps, lease, row, signal, released);
  try {
    if (lease.pool === 'filing') {
      await fileDownload(ctx);
      return;
    }
    while (!ctx.released) {
      switch (ctx.status) {
        case 'waiting':
        case 'searching': {
          // Candidates the prefetcher found ahead of the claim go straight to the transfer step,
          // when they come from where this download searches first (the prefetcher asks the
          // first configured indexer; a profile may start elsewhere).
          const stored = readCandidates(ctx.row.candidates);
          if (needsSearch(stored, deps.now()) || !(await prefetchFits(ctx, stored))) {
            if (!(await searchStep(ctx))) break;
          }
          await transferStep(ctx);
          break;
        }
        case 'queued':
        case 'downloading':
          await transferStep(ctx);
          break;
        case 'processing':
          // Its bytes are in (a claim from before filing had its own slots): filing is claimed
          // into a filing slot, as after any transfer done.
          await ctx.release({ run_after: deps.now() });
          break;
        default:
          return;
      }
    }
  } catch (error) {
    if (error instanceof LeaseLostError || signal.aborted) return;
    if (error instanceof FiledUnrecordedError) {
      // Never a retry round: that would download the track again and file it as " (2)".
      deps.log.warn({ id: row.id, error: error.message }, 'filed track not recorded yet');
      return;
    }
    await handleError(ctx, error).catch((second: unknown) => {
      if (!(second instanceof LeaseLostError)) {
        deps.log.error({ id: row.id, error: String(second) }, 'could not record a download error');
      }
    });
  }
}

/**
 * A filing claim: verify, check, tag, cover and place the file. A file rejected (bad, suspected
 * transcode) sends the download back to the transfer pool, due now, with its candidates: the next
 * source is enqueued there.
 */
async function fileDownload(ctx: JobContext): Promise<void> {
  if (ctx.status !== 'processing') {
    // Not filing's (changed since the claim read it): back to the queue at once, no slot kept.
    await ctx.release({ run_after: ctx.deps.now() });
    return;
  }
  if (!(await importStep(ctx)) && !ctx.released) {
    await ctx.release({ run_after: ctx.deps.now(), queue_position: null }, 'search');
  }
}

async function handleError(ctx: JobContext, error: unknown): Promise<void> {
  if (error instanceof ProviderError) {
    // The provider unavailable, unreachable or rate-limiting: nobody's fault, the download waits.
    if (errorPolicy(error.code).waitForDaemon) {
      ctx.deps.log.warn(
        { id: ctx.row.id, provider: error.provider, code: error.code, message: error.message },
        'provider unavailable; download waits',
      );
      await ctx.defer(error.message, error.provider);
      return;
    }
    await ctx.retryLater(error.code, error.message);
    return;
  }
  // An unexpected bug must not loop the download forever: it uses up retries like any failure.
  ctx.deps.log.error(
    { id: ctx.row.id, error: error instanceof Error ? error.stack : String(error) },
    'download step crashed',
  );
  await ctx.retryLater('unknown', error instanceof Error ? error.message : String(error));
}

/** Whether candidates searched ahead came from this download's first indexer (none: nothing to check). */
async function prefetchFits(ctx: JobContext, stored: StoredCandidates | null): Promise<boolean> {
  if (stored?.prefetchedAt === undefined) return true;
  const [first] = await indexerOrder(ctx);
  return first === (stored.provider ?? indexerIdsOf(ctx.deps.provider)[0]);
}
