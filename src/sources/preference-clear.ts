import { indexerProviderId } from './source-config.js';
import type { SourcesServiceDeps } from './sources.service.js';

/** Downloads cleared of a removed indexer per transaction (and per event). */
const CLEAR_CHUNK = 1000;

/** How far apart two processes' clocks may be (as the orphan sweep and the slskd enqueue allow). */
export const CLOCK_SKEW_MS = 2_000;

/**
 * No download or album names indexer `id` as its provider to search first any more. After a
 * removal: a new indexer of the same id later is another source. After a create too: a request
 * accepted while a removal was being applied (a provider set a poll behind) may have stored the
 * old id. Only what was stored `before` the create, though: from its commit on, any process may
 * accept the id as a real preference, and this runs after that commit.
 *
 * Albums first: an album's folder search gives the tracks it makes the album's preference, read
 * in its closing write after that write has locked the album row, so a close after the albums are
 * cleared brings nothing back, and the tracks of a close before are cleared with the downloads.
 * The albums once more at the end, for one accepted meanwhile, and then its tracks.
 *
 * `before` is the create's time less CLOCK_SKEW_MS: the rows' times come from the clocks of the
 * processes that stored them, and a real preference, stored after the commit by a process whose
 * clock is behind, must not look older than the create. A stale id left by that margin names the
 * indexer that now has the id, which is far less harm than dropping a preference asked for.
 *
 * In chunks, each with its event, outside the removal's transaction: bounded transactions and
 * events, and no row locks on thousands of downloads held under the source lock. A failure is logged, not answered: the
 * source write has committed, and the search order ignores an id it does not know meanwhile.
 */
export function createPreferenceClear(
  deps: Pick<
    SourcesServiceDeps,
    'repo' | 'events' | 'albumsChanged' | 'log' | 'clearChunk' | 'now'
  >,
): (id: string, before?: number) => Promise<void> {
  const { repo } = deps;
  return async (id: string, before?: number): Promise<void> => {
    const providerId = indexerProviderId(id);
    const chunk = deps.clearChunk ?? CLEAR_CHUNK;
    try {
      const albums = () =>
        repo.transaction(async (ops, tx) => {
          const cleared = await ops.clearPreferredAlbums(providerId, deps.now(), before);
          if (cleared.length > 0)
            await deps.events.appendMany(tx, await deps.albumsChanged(tx, cleared));
          return cleared.length;
        });
      const downloads = async () => {
        for (;;) {
          const ids = await repo.transaction(async (ops, tx) => {
            const cleared = await ops.clearPreferredDownloads(
              providerId,
              deps.now(),
              chunk,
              before,
            );
            if (cleared.length > 0)
              await deps.events.append(tx, 'downloads.changed', {
                action: 'provider_removed',
                ids: cleared,
              });
            return cleared;
          });
          if (ids.length < chunk) break;
        }
      };
      await albums();
      await downloads();
      // An album accepted while the downloads were cleared (by a provider set not yet rebuilt):
      // its folder search may already have made tracks with the id.
      if ((await albums()) > 0) await downloads();
    } catch (error) {
      deps.log.warn(
        { source: id, error: String(error) },
        "could not clear the indexer as downloads' preferred provider",
      );
    }
  };
}
