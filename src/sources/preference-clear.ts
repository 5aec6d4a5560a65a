import { indexerProviderId } from './source-config.js';
import type { SourcesServiceDeps } from './sources.service.js';

/** Downloads cleared of a removed indexer per transaction (and per event). */
const CLEAR_CHUNK = 1000;

/**
 * No download or album names indexer `id` as its provider to search first any more. After a
 * removal: a new indexer of the same id later is another source. After a create too: a request
 * accepted while a removal was being applied (a provider set a poll behind) may have stored the
 * old id. Only what was stored `before` the create, though: from its commit on, any process may
 * accept the id as a real preference, and this runs after that commit.
 *
 * Albums first: an album's folder search gives the tracks it makes the album's preference, read
 * in its closing write, so a close after the albums are cleared brings nothing back, and the
 * tracks of a close before are cleared with the downloads. In chunks, each with its event,
 * outside the removal's transaction: bounded transactions and events, and no row locks on
 * thousands of downloads held under the source lock. A failure is logged, not answered: the
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
      await repo.transaction(async (ops, tx) => {
        const albums = await ops.clearPreferredAlbums(providerId, deps.now(), before);
        if (albums.length > 0)
          await deps.events.appendMany(tx, await deps.albumsChanged(tx, albums));
      });
      for (;;) {
        const ids = await repo.transaction(async (ops, tx) => {
          const cleared = await ops.clearPreferredDownloads(providerId, deps.now(), chunk, before);
          if (cleared.length > 0)
            await deps.events.append(tx, 'downloads.changed', {
              action: 'provider_removed',
              ids: cleared,
            });
          return cleared;
        });
        if (ids.length < chunk) break;
      }
    } catch (error) {
      deps.log.warn(
        { source: id, error: String(error) },
        "could not clear the indexer as downloads' preferred provider",
      );
    }
  };
}
