import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, SourcePolicy } from '../downloads/download.job.js';
import type { ProfileRules } from '../matching/quality-profile.js';
import { normalizeForMatch, stripDecorations } from '../matching/query.js';
import {
  ProviderError,
  providerUnavailable,
  type Candidate,
  type DownloadProvider,
} from '../providers/provider.js';
import { indexerFor } from '../providers/provider-set.js';
import { sourcesOf } from '../providers/release.js';
import {
  chooseFolder,
  foldersToBrowse,
  groupByFolder,
  MAX_FOLDER_FILES,
  withPeerFacts,
  type AlbumTarget,
  type FolderFiles,
  type FolderOptions,
  type FolderVerdict,
} from './folder-choice.js';

/** Folders browsed per album: each is a request to a peer, and the best are almost always first. */
export const FOLDERS_BROWSED = 3;

/** What an album's search talks to: the providers, the source policy, its bounds and log. */
export interface AlbumSearchIo {
  provider: DownloadProvider;
  sources?: SourcePolicy | undefined;
  timeoutMs: number;
  now: () => number;
  log: Logger;
}

/** The blocklist and track records of the sources among `hits`, as folder-choice takes them. */
export async function sourceOptions(
  sources: SourcePolicy | undefined,
  hits: readonly Candidate[],
): Promise<FolderOptions> {
  const filter = sources ? await sources.sourceFilter(sourcesOf(hits)) : undefined;
  return filter ? { isBlocked: filter.isBlocked, peerRecord: filter.peerRecord } : {};
}

/**
 * The I/O around folder-choice.ts: one search for "artist album" through the provider, then a look
 * into the best folders (provider.listFolder: every file, not only the search's hits), then the
 * pure choice. A folder that cannot be browsed (peer offline, provider without listFolder) is
 * judged on its search hits alone. Throws ProviderError when the search itself fails.
 */
export async function findAlbumFolder(
  target: AlbumTarget,
  rules: ProfileRules,
  deps: AlbumSearchIo,
): Promise<FolderVerdict | null> {
  const { provider } = deps;
  const hits = await searchOnce(provider, albumQuery(target), deps.timeoutMs, deps.now);
  const options = await sourceOptions(deps.sources, hits);
  const best = foldersToBrowse(target, groupByFolder(hits), rules, FOLDERS_BROWSED, options);
  const browsed: FolderFiles[] = [];
  for (const folder of best) {
    let files = folder.files;
    // The folder is browsed at the indexer that found it.
    const indexer = indexerFor(provider, folder.provider);
    if (indexer.listFolder) {
      try {
        const listed = await indexer.listFolder(folder.username, folder.directory);
        const inside = filesInside(listed, folder.directory);
        if (inside.length > 0) files = withPeerFacts(inside, folder.files);
      } catch (error) {
        deps.log.info(
          { user: folder.username, error: error instanceof Error ? error.message : String(error) },
          'could not browse an album folder; judging it on its search hits',
        );
      }
    }
    browsed.push({ ...folder, files });
  }
  return chooseFolder(target, browsed, rules, options).chosen;
}

/**
 * Only the folder itself, at most MAX_FOLDER_FILES of its files: a browse answer must not bring in
 * files from elsewhere, neither by another prefix nor by `..` (`Album\..\..\Other\x.flac` starts
 * with the folder's name but is not in it), and a peer can answer with any number of files.
 */
export function filesInside(listed: readonly Candidate[], directory: string): Candidate[] {
  const inside: Candidate[] = [];
  for (const f of listed) {
    if (inside.length >= MAX_FOLDER_FILES) break;
    const sep = f.filename.charAt(directory.length);
    if (!f.filename.startsWith(directory) || (sep !== '\\' && sep !== '/')) continue;
    const rest = f.filename.slice(directory.length + 1).split(/[\\/]/);
    if (rest.some((part) => part === '' || part === '.' || part === '..')) continue;
    inside.push(f);
  }
  return inside;
}

/** "Artist Album", decorations such as "(Deluxe Edition)" left out: peers name folders variously. */
export function albumQuery(target: Pick<AlbumTarget, 'artist' | 'album'>): string {
  const part = (s: string) => normalizeForMatch(stripDecorations(s)) || normalizeForMatch(s);
  return `${part(target.artist)} ${part(target.album)}`.trim();
}

export async function searchOnce(
  provider: Pick<DownloadProvider, 'name' | 'startSearch' | 'getSearch' | 'deleteSearch'>,
  text: string,
  timeoutMs: number,
  now: () => number,
): Promise<Candidate[]> {
  const id = randomUUID();
  await provider.startSearch(id, text, timeoutMs);
  try {
    // The daemon's timeout is an inactivity timeout; a search far past it is given up.
    const deadline = now() + timeoutMs * 4 + 30_000;
    for (;;) {
      const snapshot = await provider.getSearch(id);
      if (snapshot.state === 'complete') return snapshot.candidates;
      if (snapshot.state === 'missing')
        throw providerUnavailable(provider.name, 'the album search was lost');
      if (now() > deadline)
        throw new ProviderError('timeout', 'the album search did not finish in time');
      await sleep(200);
    }
  } finally {
    void provider.deleteSearch(id).catch(() => undefined);
  }
}
