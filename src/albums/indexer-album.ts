import type { Logger, SourcePolicy } from '../downloads/download.job.js';
import { extensionOf } from '../matching/quality-policy.js';
import type { ProfileRules } from '../matching/quality-profile.js';
import type { ReleaseEntry } from '../matching/release-files.js';
import type { Candidate, DownloadProvider } from '../providers/provider.js';
import { clientFor, indexerFor } from '../providers/provider-set.js';
import { sourcesOf, type ProviderId } from '../providers/release.js';
import { albumQuery, searchOnce } from './album-folder.js';
import {
  chooseFolder,
  foldersToBrowse,
  MAX_FOLDER_FILES,
  type AlbumTarget,
  type FolderFiles,
  type FolderVerdict,
} from './folder-choice.js';

/** Releases whose files are read per indexer: each is a document fetched from the indexer. */
export const RELEASES_LISTED = 3;
/**
 * Releases asked for their files at most: one that cannot tell them (a magnet link, a lost
 * .torrent) does not use up RELEASES_LISTED, so the album ranked below it is still read.
 */
export const RELEASES_TRIED = 2 * RELEASES_LISTED;

/** An album found as one indexer release: the verdict on its files, and the release itself. */
export interface ReleaseAlbum {
  verdict: FolderVerdict;
  /** The indexer's candidate for the whole release: what each track is pinned to. */
  release: Candidate;
}

/**
 * One file of a release as a folder file, for judging (folder-choice.ts): the release's source and
 * availability, the file's own name and size, and no `release`, so the ranking reads it as a file
 * (its path, under the release title, names the artist and album as a peer's folder does).
 */
export function releaseFileCandidate(release: Candidate, entry: ReleaseEntry): Candidate {
  const title = release.release?.title ?? release.filename;
  const file: Candidate = {
    provider: release.provider,
    username: release.username,
    filename: `${title}/${entry.path}`,
    size: entry.size,
    extension: extensionOf(entry.path),
    hasFreeUploadSlot: release.hasFreeUploadSlot,
    queueLength: release.queueLength,
    uploadSpeed: release.uploadSpeed,
  };
  // The title's facts ("[FLAC 24-96]", "320"): a file of the release has no others.
  if (release.bitRate !== undefined) file.bitRate = release.bitRate;
  if (release.sampleRate !== undefined) file.sampleRate = release.sampleRate;
  if (release.bitDepth !== undefined) file.bitDepth = release.bitDepth;
  return file;
}

/**
 * An album without a track list, at an indexer that offers whole releases (Torznab, Newznab): it is
 * asked for "artist album"; its releases are taken best first (as the ranking judges their titles
 * for the album), and the files of up to RELEASES_LISTED of them are read from the release
 * document by the download client that would fetch them (`releaseFiles`: the .torrent, the .nzb),
 * and judged as folders (folder-choice.ts: the most of the album wins, then numbering without a
 * gap, one format, quality). A release whose files cannot be read (a magnet link, a lost .torrent)
 * is passed over. Throws ProviderError when the search itself fails.
 */
export async function findReleaseAlbum(
  target: AlbumTarget,
  rules: ProfileRules,
  id: ProviderId,
  deps: {
    provider: DownloadProvider;
    sources?: SourcePolicy | undefined;
    timeoutMs: number;
    now: () => number;
    log: Logger;
  },
): Promise<ReleaseAlbum | null> {
  const indexer = indexerFor(deps.provider, id);
  const query =
    indexer.queriesFor?.({ artist: target.artist, title: '', album: target.album })[0] ??
    albumQuery(target);
  const hits = (await searchOnce(indexer, query, deps.timeoutMs, deps.now)).filter(
    (c) => c.release !== undefined,
  );
  const filter = deps.sources ? await deps.sources.sourceFilter(sourcesOf(hits)) : undefined;
  const options = filter ? { isBlocked: filter.isBlocked, peerRecord: filter.peerRecord } : {};
  // Each release is a folder of its own, named by its title.
  const groups: FolderFiles[] = hits.map((c) => ({
    provider: c.provider,
    username: c.username,
    directory: c.release!.title,
    files: [c],
  }));
  const releases = new Map<FolderFiles, Candidate>();
  let tried = 0;
  for (const g of foldersToBrowse(target, groups, rules, groups.length, options)) {
    if (releases.size >= RELEASES_LISTED || tried >= RELEASES_TRIED) break;
    const release = g.files[0]!;
    const client = clientFor(deps.provider, release.provider);
    if (!client.releaseFiles) continue;
    tried++;
    let entries: ReleaseEntry[] | null;
    try {
      entries = await client.releaseFiles(release.release!);
    } catch (error) {
      deps.log.info(
        {
          indexer: id,
          release: g.directory,
          error: error instanceof Error ? error.message : String(error),
        },
        "could not read an album release's files; passing it over",
      );
      continue;
    }
    if (!entries || entries.length === 0) continue;
    const files = entries
      .slice(0, MAX_FOLDER_FILES)
      .map((entry) => releaseFileCandidate(release, entry));
    releases.set({ ...g, files }, release);
  }
  const chosen = chooseFolder(target, [...releases.keys()], rules, options).chosen;
  if (!chosen || chosen.tracks.length === 0) return null;
  const release = [...releases.entries()].find(
    ([g]) => g.username === chosen.username && g.directory === chosen.directory,
  )?.[1];
  return release ? { verdict: chosen, release } : null;
}
