import type { DownloadProvider, EnqueueRequest } from '../providers/provider.js';
import type { AttemptRow } from './download.repository.js';

/** The enqueue request an attempt stands for (its batch id lets the daemon be asked about it). */
export function enqueueRequestOf(a: AttemptRow): EnqueueRequest {
  return { batchId: a.batch_id, username: a.username, filename: a.filename, size: a.size };
}

/**
 * Cancels an attempt's transfer at the daemon, best effort. Without a recorded transfer id (the
 * enqueue may have been in flight) the daemon is asked by batch id first. Never throws: the caller
 * is closing the attempt either way, and logs what failed.
 */
export async function cancelAtDaemon(
  provider: DownloadProvider,
  attempt: AttemptRow,
  onError: (error: unknown) => void,
): Promise<void> {
  const transferId =
    attempt.transfer_id ??
    (await provider.findEnqueued(enqueueRequestOf(attempt)).catch(() => null))?.id;
  if (!transferId) return;
  await provider.cancel(attempt.username, transferId).catch(onError);
}
