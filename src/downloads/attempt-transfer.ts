import type { DownloadProvider, EnqueueRequest } from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import type { IndexerRelease, ProviderId } from '../providers/release.js';
import type { AttemptRow, DownloadRepository, DownloadRow } from './download.repository.js';

/** The enqueue request an attempt stands for (its batch id lets the daemon be asked about it). */
export function enqueueRequestOf(
  a: AttemptRow,
  want?: Pick<DownloadRow, 'artist' | 'title' | 'album' | 'duration_seconds'>,
): EnqueueRequest {
  const release = a.release ? (JSON.parse(a.release) as IndexerRelease) : undefined;
  return {
    provider: a.provider,
    batchId: a.batch_id,
    username: a.username,
    filename: a.filename,
    size: a.size,
    notBefore: a.created_at,
    ...(release ? { release } : {}),
    // A release is often an album: the client fetches only the wanted track's file of it.
    ...(release && want
      ? {
          want: {
            artist: want.artist,
            title: want.title,
            album: want.album,
            durationSeconds: want.duration_seconds,
          },
        }
      : {}),
  };
}

/**
 * Cancels an attempt's transfer at the daemon, best effort. Without a recorded transfer id (the
 * enqueue may have been in flight) the daemon is asked by batch id first. Never throws: the caller
 * is closing the attempt either way, and logs what failed. What fails here (slskd unreachable) is
 * not forgotten: the attempt row stays, and the orphan sweep cancels its transfer once slskd is back.
 * Returns whether the daemon holds no transfer of it any more: false when asking or cancelling
 * failed (a manual pick then lets its hold run out instead of starting the new source at once).
 */
export async function cancelAtDaemon(
  provider: DownloadProvider,
  attempt: AttemptRow,
  onError: (error: unknown) => void,
): Promise<boolean> {
  const client = clientFor(provider, attempt.provider);
  let transferId = attempt.transfer_id;
  if (!transferId) {
    try {
      transferId = (await client.findEnqueued(enqueueRequestOf(attempt)))?.id ?? null;
    } catch (error) {
      onError(error);
      return false;
    }
  }
  if (!transferId) return true;
  return client.cancel(attempt.username, transferId).then(
    () => true,
    (error: unknown) => {
      onError(error);
      return false;
    },
  );
}

/**
 * Cancels a transfer whose attempt was closed while its enqueue was in flight, unless an active
 * download follows it: a retried download may have adopted it as "already in progress".
 */
export async function cancelUnlessFollowed(
  deps: { provider: DownloadProvider; repo: DownloadRepository },
  source: { provider: ProviderId; username: string },
  transferId: string,
  onError: (error: unknown) => void,
): Promise<void> {
  const { username } = source;
  if (await deps.repo.isTransferFollowed({ id: transferId, username })) return;
  await clientFor(deps.provider, source.provider).cancel(username, transferId).catch(onError);
}
