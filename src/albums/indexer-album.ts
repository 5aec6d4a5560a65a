import { extensionOf } from '../matching/quality-policy.js';
import { AUDIO_FORMATS, type ProfileRules } from '../matching/quality-profile.js';
import { containsPhrase } from '../matching/normalize.js';
import { normalizeForMatch, stripDecorations } from '../matching/query.js';
import type { ReleaseEntry } from '../matching/release-files.js';
import { providerUnavailable, type Candidate } from '../providers/provider.js';
import { clientFor, indexerFor } from '../providers/provider-set.js';
import type { ProviderId } from '../providers/release.js';
import { albumQuery, searchOnce, sourceOptions, type AlbumSearchIo } from './album-folder.js';
import {
  compareVerdicts,
  discOfFolder,
  folderOf,
  foldersToBrowse,
  judgeFolder,
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
 * The audio files of a release the album can use: names a client can be asked for by path (no
 * control character, no empty, `.` or `..` segment: a hostile document's names become track
 * titles and stored paths), at most MAX_FOLDER_FILES of them.
 */
export function usableEntries(entries: readonly ReleaseEntry[]): ReleaseEntry[] {
  return entries
    .filter((e) => {
      // Control characters, bidi overrides and isolates: as Torznab titles are cleaned.
      if (/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(e.path)) return false;
      const parts = e.path.split(/[\\/]/);
      if (parts.some((p) => p === '' || p === '.' || p === '..')) return false;
      return AUDIO_FORMATS.includes(extensionOf(e.path));
    })
    .slice(0, MAX_FOLDER_FILES);
}

/**
 * A release's files as folders to judge: one per folder inside it, a "CD1"/"Disc 2" folder merged
 * into its parent (the discs of one album). A release of several folders (a discography, an album
 * with its bonus disc as another album) offers only those whose own path names the album: judged
 * whole, it would pass three albums off as one.
 */
export function releaseFolders(
  release: Candidate,
  entries: readonly ReleaseEntry[],
  album: string,
): Array<{ directory: string; entries: ReleaseEntry[] }> {
  const title = release.release?.title ?? release.filename;
  const groups = new Map<string, ReleaseEntry[]>();
  for (const e of entries) {
    let dir = folderOf(e.path.replaceAll('\\', '/'));
    if (discOfFolder(e.path.replaceAll('\\', '/')) !== null) dir = folderOf(dir);
    groups.set(dir, [...(groups.get(dir) ?? []), e]);
  }
  const wanted = normalizeForMatch(stripDecorations(album)) || normalizeForMatch(album);
  const all = [...groups.entries()];
  // Below the torrent's own folder (its name is the release's, and names the album anyway), as
  // whole words: "Weezer" names "1994 - Weezer", not "Make Believe"; "I" does not name "obZen".
  const names = ([dir]: [string, ReleaseEntry[]]) =>
    wanted !== '' &&
    containsPhrase(
      normalizeForMatch(dir.includes('/') ? dir.slice(dir.indexOf('/') + 1) : ''),
      wanted,
    );
  const named = all.length === 1 ? all : all.filter(names);
  return named.map(([dir, list]) => ({
    directory: dir ? `${title}/${dir}` : title,
    entries: list,
  }));
}

/**
 * An album without a track list, at an indexer that offers whole releases (Torznab, Newznab): it is
 * asked for "artist album"; its releases are taken best first (as the ranking judges their titles
 * for the album), and the files of up to RELEASES_LISTED of them are read from the release
 * document by the download client that would fetch them (`releaseFiles`: the .torrent, the .nzb),
 * and judged as folders (folder-choice.ts: the most of the album wins, then numbering without a
 * gap, one format, quality). A release whose files cannot be read (a magnet link, a lost .torrent)
 * is passed over; none is read after `deadline`. The verdict's track candidates are the release
 * with the chosen file named (`release.file`), so each track is fetched as exactly that file.
 * Throws ProviderError when the search itself fails.
 */
export async function findReleaseAlbum(
  target: AlbumTarget,
  rules: ProfileRules,
  id: ProviderId,
  deps: AlbumSearchIo & {
    /** Epoch ms after which no more release is read (the search's claim runs out). */
    deadline?: number;
  },
): Promise<FolderVerdict | null> {
  const indexer = indexerFor(deps.provider, id);
  const query =
    indexer.queriesFor?.({ artist: target.artist, title: '', album: target.album })[0] ??
    albumQuery(target);
  const hits = (await searchOnce(indexer, query, deps.timeoutMs, deps.now)).filter(
    (c) => c.release !== undefined,
  );
  const options = await sourceOptions(deps.sources, hits);
  // Each release is first judged as one folder named by its title.
  const groups: FolderFiles[] = hits.map((c) => ({
    provider: c.provider,
    username: c.username,
    directory: c.release!.title,
    files: [c],
  }));
  const folders: FolderFiles[] = [];
  /** Each judged file's pinned form: its release with the file named. */
  const pinned = new Map<Candidate, Candidate>();
  let read = 0;
  let tried = 0;
  let clientDown: string | null = null;
  for (const g of foldersToBrowse(target, groups, rules, groups.length, options)) {
    if (read >= RELEASES_LISTED || tried >= RELEASES_TRIED) break;
    if (deps.deadline !== undefined && deps.now() > deps.deadline) break;
    const release = g.files[0]!;
    let entries: ReleaseEntry[] | null = null;
    try {
      const client = clientFor(deps.provider, release.provider);
      if (!client.releaseFiles) continue;
      // A client that is down could not fetch the release: the next indexer, not this one.
      if ((client as { circuit?: string }).circuit === 'open') {
        clientDown = client.name;
        continue;
      }
      tried++;
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
    const usable = usableEntries(entries ?? []);
    if (usable.length === 0) continue;
    read++;
    for (const folder of releaseFolders(release, usable, target.album)) {
      const files = folder.entries.map((entry) => {
        const file = releaseFileCandidate(release, entry);
        pinned.set(file, { ...release, release: { ...release.release!, file: entry.path } });
        return file;
      });
      folders.push({ ...g, directory: folder.directory, files });
    }
  }
  const judging = { ...options, discFolders: true };
  const best = folders.map((f) => judgeFolder(target, f, rules, judging)).sort(compareVerdicts)[0];
  if (!best || best.matched === 0) {
    if (clientDown !== null)
      throw providerUnavailable(
        clientDown,
        `${clientDown} is unreachable (circuit open): the releases it would fetch were not read`,
      );
    return null;
  }
  return {
    ...best,
    tracks: best.tracks.map((t) => ({
      ...t,
      candidate: t.candidate ? (pinned.get(t.candidate) ?? null) : null,
    })),
  };
}
