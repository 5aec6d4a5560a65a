import { qualityTier } from '../matching/quality-policy.js';
import { rankWithProfile } from '../matching/quality-profile-ranking.js';
import type { ProfileRules } from '../matching/quality-profile.js';
import { normalizeForMatch, stripDecorations } from '../matching/query.js';
import type { PeerRecord } from '../matching/ranking.js';
import type { Candidate } from '../providers/provider.js';
import {
  baseName,
  discOfFolder,
  folderOf,
  leadingNumbers,
  parseTrackName,
  stemOf,
} from './track-names.js';

export { discOfFolder, folderOf, parseTrackName } from './track-names.js';

/** At most this many tracks per album: a box set, not a discography (the API's bound too). */
export const MAX_ALBUM_TRACKS = 200;

/**
 * A folder's files looked at, at most: a real album (even a box set with scans and cue sheets)
 * has far fewer; a listing a peer makes up can have any number, and judging is synchronous.
 */
export const MAX_FOLDER_FILES = 500;

/**
 * Files ranked for one track, at most (those numbered as the track first). A real folder has one
 * or two files whose name holds a title; a hostile one can have every file match every title, and
 * this keeps judging it linear in its files instead of tracks × files.
 */
export const MAX_FILES_PER_TRACK = 16;

/**
 * Which peer folder an album comes from (pure). A search for "artist album" gives files from many
 * folders; they are grouped by (source, folder), the most promising folders are browsed to see all
 * their files (a search shows only some), and each browsed folder is judged on:
 *
 * 1. coverage: how many requested tracks it has (each matched by the ranking's own title/artist/
 *    variant/duration rules and the quality profile's required conditions; a file whose leading
 *    number is the track's wins among several that match);
 * 2. one format: every matched file of one extension and quality tier (an album in one quality);
 * 3. quality: the mean ranking score of its matched files (tier, the profile's preferences);
 * 4. availability: the peer's free slot, queue and speed as its search answer gave them.
 *
 * Compared in that order, never summed, so a folder with more of the album always wins. Without a
 * track list, the tracks are the folder's audio files (numbers and titles from their names), and a
 * folder whose numbers run 1…n without a gap ("complete-looking") wins over one with holes.
 */

export interface AlbumTrackWanted {
  title: string;
  trackNumber: number;
  discNumber?: number | null;
  durationSeconds?: number | null;
}

export interface AlbumTarget {
  artist: string;
  album: string;
  /** null: take the folder's own tracks. */
  tracks: AlbumTrackWanted[] | null;
  /**
   * A folder the request named (Lidarr grabbed that release, or the caller picked it): browsed
   * first and chosen while it holds as many of the album's tracks as the best folder, so the pin
   * never makes the album less complete. Absent, blocked or thinner: the best folder instead.
   */
  preferred?: FolderRef | null | undefined;
}

/** A folder at one source; no provider: any provider's folder of that user and path. */
export interface FolderRef {
  provider?: string | undefined;
  username: string;
  directory: string;
}

/** Whether a folder is the one a reference names. */
export function isFolder(
  f: { provider: string; username: string; directory: string },
  ref: FolderRef | null | undefined,
): boolean {
  return (
    !!ref &&
    f.username === ref.username &&
    f.directory === ref.directory &&
    (ref.provider === undefined || ref.provider === f.provider)
  );
}

/** The files of one folder at one source, as a search returned them or as browsed. */
export interface FolderFiles {
  provider: string;
  username: string;
  directory: string;
  files: Candidate[];
}

export interface ChosenTrack {
  title: string;
  trackNumber: number;
  discNumber: number | null;
  durationSeconds: number | null;
  /** The folder's file for this track; null when the folder lacks it. */
  candidate: Candidate | null;
}

export interface FolderVerdict {
  provider: string;
  username: string;
  directory: string;
  fileCount: number;
  tracks: ChosenTrack[];
  matched: number;
  /** Extensions of the matched files. */
  formats: string[];
  /** One extension and one quality tier across the matched files. */
  oneFormat: boolean;
  /** Without a track list: numbers 1…n per disc without a gap. */
  completeLooking: boolean;
  meanScore: number;
  availability: number;
  notes: string[];
}

export interface FolderOptions {
  isBlocked?: (c: Candidate) => boolean;
  peerRecord?: (username: string, provider: string) => PeerRecord | undefined;
  /**
   * Without a track list, a file in a "CD1" / "Disc 2" folder is on that disc. For a release whose
   * discs are subfolders of one folder (an album torrent); a Soulseek folder is judged alone.
   */
  discFolders?: boolean;
}

/** Search results grouped by (provider, username, folder), in first-seen order. */
export function groupByFolder(candidates: readonly Candidate[]): FolderFiles[] {
  const groups = new Map<string, FolderFiles>();
  for (const c of candidates) {
    const directory = folderOf(c.filename);
    const key = `${c.provider}\u0000${c.username}\u0000${directory}`;
    let g = groups.get(key);
    if (!g) {
      g = { provider: c.provider, username: c.username, directory, files: [] };
      groups.set(key, g);
    }
    g.files.push(c);
  }
  return [...groups.values()];
}

/**
 * The folders worth browsing, best first: those whose search hits the ranking accepts for the
 * album (artist in the path, no unrequested variant, the profile's required conditions), by how
 * many such hits, then their best score. Browsing costs a request to the peer, so only `limit`.
 */
export function foldersToBrowse(
  target: AlbumTarget,
  groups: readonly FolderFiles[],
  rules: ProfileRules,
  limit: number,
  options: FolderOptions = {},
): FolderFiles[] {
  const scored = groups.flatMap((g) => {
    const ranked = rankWithProfile(
      { artist: target.artist, title: '', album: target.album },
      g.files,
      rules,
      options,
    ).ranked;
    return ranked.length > 0 ? [{ g, n: ranked.length, best: ranked[0]!.score }] : [];
  });
  scored.sort((a, b) => b.n - a.n || b.best - a.best || compareFolder(a.g, b.g));
  // The named folder is always looked into, whatever its rank among the search's hits.
  const named = scored.findIndex((s) => isFolder(s.g, target.preferred));
  if (named > 0) scored.unshift(...scored.splice(named, 1));
  return scored.slice(0, limit).map((s) => s.g);
}

/** Browsed files carry no peer facts: take them from the same peer's search answer. */
export function withPeerFacts(
  files: readonly Candidate[],
  hits: readonly Candidate[],
): Candidate[] {
  const peer = hits[0];
  if (!peer) return [...files];
  return files.map((f) => ({
    ...f,
    hasFreeUploadSlot: peer.hasFreeUploadSlot,
    queueLength: peer.queueLength,
    uploadSpeed: peer.uploadSpeed,
  }));
}

/** Judges one folder for the album. */
export function judgeFolder(
  target: AlbumTarget,
  folder: FolderFiles,
  rules: ProfileRules,
  options: FolderOptions = {},
): FolderVerdict {
  const files = folder.files.slice(0, MAX_FOLDER_FILES);
  const own = target.tracks ? null : folderTracks(target, files, rules, options);
  const wanted = target.tracks ?? own!.tracks;
  // Each file's name normalized once, spaces taken out: the ranking matches a title only when
  // the name contains it (containsPhrase), so a file whose squeezed name does not is never ranked.
  const names = files.map((c) => ({
    c,
    squeezed: normalizeForMatch(stemOf(c.filename)).replace(/ /g, ''),
    number: leadingNumbers(c.filename).track,
  }));
  const used = new Set<string>();
  const scores: number[] = [];
  const tracks: ChosenTrack[] = wanted.map((t) => {
    const forms = [normalizeForMatch(t.title), normalizeForMatch(stripDecorations(t.title))]
      .map((f) => f.replace(/ /g, ''))
      .filter((f) => f.length > 0);
    const possible = names.filter(
      (n) =>
        !used.has(n.c.filename) &&
        (forms.length === 0 || forms.some((f) => n.squeezed.includes(f))),
    );
    const shortlist = [
      ...possible.filter((n) => n.number === t.trackNumber),
      ...possible.filter((n) => n.number !== t.trackNumber),
    ]
      .slice(0, MAX_FILES_PER_TRACK)
      .map((n) => n.c);
    const ranked = rankWithProfile(
      {
        artist: target.artist,
        title: t.title,
        album: target.album,
        durationSeconds: t.durationSeconds ?? null,
      },
      shortlist,
      rules,
      options,
    ).ranked;
    // Among files that match the title, the one numbered as the track ("Intro" vs "Intro (Reprise)"
    // both contain "Intro"); then the ranking's order.
    const numbered = ranked.find(
      (r) => leadingNumbers(r.candidate.filename).track === t.trackNumber,
    );
    const pick = numbered ?? ranked[0];
    if (pick) {
      used.add(pick.candidate.filename);
      scores.push(pick.score);
    }
    return {
      title: t.title,
      trackNumber: t.trackNumber,
      discNumber: t.discNumber ?? null,
      durationSeconds: t.durationSeconds ?? null,
      candidate: pick?.candidate ?? null,
    };
  });
  const picked = tracks.flatMap((t) => (t.candidate ? [t.candidate] : []));
  const formats = [...new Set(picked.map((c) => c.extension))].sort();
  const tiers = new Set(picked.map((c) => qualityTier(c, c.extension).tier));
  const oneFormat = picked.length > 0 && formats.length === 1 && tiers.size === 1;
  const completeLooking =
    target.tracks === null
      ? runsWithoutGap(tracks) && !(options.discFolders && (own?.clashes ?? 0) > 0)
      : true;
  const meanScore = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0;
  const peer = files[0];
  const availability = peer
    ? (peer.hasFreeUploadSlot ? 1000 : 0) -
      Math.min(peer.queueLength, 100) * 5 +
      Math.min(100, peer.uploadSpeed / 100_000)
    : 0;
  const notes = [
    `${picked.length}/${tracks.length} tracks`,
    formats.length ? formats.join('+') : 'no audio',
    ...(oneFormat ? ['one format'] : picked.length ? ['mixed formats'] : []),
    ...(target.tracks === null ? [completeLooking ? 'numbered 1…n' : 'gaps in numbering'] : []),
    peer?.hasFreeUploadSlot ? 'free slot' : `queue ${peer?.queueLength ?? 0}`,
  ];
  return {
    provider: folder.provider,
    username: folder.username,
    directory: folder.directory,
    fileCount: folder.files.length,
    tracks,
    matched: picked.length,
    formats,
    oneFormat,
    completeLooking,
    meanScore: Math.round(meanScore * 10) / 10,
    availability,
    notes,
  };
}

/** Best first: coverage, complete-looking, one format, quality, availability, then by name. */
export function compareVerdicts(a: FolderVerdict, b: FolderVerdict): number {
  return (
    b.matched - a.matched ||
    Number(b.completeLooking) - Number(a.completeLooking) ||
    Number(b.oneFormat) - Number(a.oneFormat) ||
    b.meanScore - a.meanScore ||
    b.availability - a.availability ||
    compareFolder(a, b)
  );
}

/** The best folder that has at least one of the album's tracks, with every verdict for display. */
export function chooseFolder(
  target: AlbumTarget,
  folders: readonly FolderFiles[],
  rules: ProfileRules,
  options: FolderOptions = {},
): { chosen: FolderVerdict | null; considered: FolderVerdict[] } {
  const considered = folders
    .map((f) => judgeFolder(target, f, rules, options))
    .sort(compareVerdicts);
  const best = considered[0];
  const named = considered.find((v) => isFolder(v, target.preferred));
  if (best && named && named.matched > 0 && named.matched >= best.matched)
    return { chosen: named, considered };
  return { chosen: best && best.matched > 0 ? best : null, considered };
}

/**
 * Without a track list: the folder's audio files the ranking accepts for the album, as tracks,
 * numbered and titled from their names (a file without a number takes the next free one); the
 * first MAX_ALBUM_TRACKS in disc and track order, as a request's track list is bounded.
 */
export function tracksFromFiles(
  target: Pick<AlbumTarget, 'artist' | 'album'>,
  files: readonly Candidate[],
  rules: ProfileRules,
  options: FolderOptions = {},
): AlbumTrackWanted[] {
  return folderTracks(target, files, rules, options).tracks;
}

/**
 * tracksFromFiles, and how many files named a number another file of the same disc already had
 * (renumbered to the next free one): with `discFolders`, a folder where that happens is not
 * complete-looking (a flat release of several albums, each 01…n, reads as one long album).
 */
function folderTracks(
  target: Pick<AlbumTarget, 'artist' | 'album'>,
  files: readonly Candidate[],
  rules: ProfileRules,
  options: FolderOptions,
): { tracks: AlbumTrackWanted[]; clashes: number } {
  const accepted = rankWithProfile(
    { artist: target.artist, title: '', album: target.album },
    files.slice(0, MAX_FOLDER_FILES),
    rules,
    options,
  ).ranked.map((r) => r.candidate);
  const named = accepted.map((c) => {
    const name = parseTrackName(baseName(c.filename), target.artist);
    return {
      c,
      ...name,
      disc: name.disc ?? (options.discFolders ? discOfFolder(c.filename) : null),
    };
  });
  // Files beside a "CD2" folder are disc 1, not a disc of their own.
  const discs = named.some((n) => n.disc !== null);
  const parsed = named
    .map((n) => (options.discFolders && discs && n.disc === null ? { ...n, disc: 1 } : n))
    .sort(
      (a, b) =>
        (a.disc ?? 1) - (b.disc ?? 1) ||
        (a.track ?? 1e9) - (b.track ?? 1e9) ||
        (a.c.filename < b.c.filename ? -1 : 1),
    );
  const taken = new Set<string>();
  let next = 1;
  let clashes = 0;
  const out: AlbumTrackWanted[] = [];
  for (const p of parsed.slice(0, MAX_ALBUM_TRACKS)) {
    const disc = p.disc;
    let track = p.track;
    if (track !== null && taken.has(`${disc}:${track}`)) clashes++;
    if (track === null || taken.has(`${disc}:${track}`)) {
      while (taken.has(`${disc}:${next}`)) next++;
      track = next;
    }
    taken.add(`${disc}:${track}`);
    out.push({
      title: p.title,
      trackNumber: track,
      discNumber: disc,
      durationSeconds: p.c.lengthSeconds ?? null,
    });
  }
  return { tracks: out, clashes };
}

function runsWithoutGap(tracks: readonly ChosenTrack[]): boolean {
  if (tracks.length === 0) return false;
  const byDisc = new Map<number, number[]>();
  for (const t of tracks)
    byDisc.set(t.discNumber ?? 1, [...(byDisc.get(t.discNumber ?? 1) ?? []), t.trackNumber]);
  return [...byDisc.values()].every((nums) => {
    const sorted = [...nums].sort((a, b) => a - b);
    return sorted.every((n, i) => n === i + 1);
  });
}

function compareFolder(
  a: Pick<FolderFiles, 'username' | 'directory'>,
  b: Pick<FolderFiles, 'username' | 'directory'>,
): number {
  const ka = `${a.username}\u0000${a.directory}`;
  const kb = `${b.username}\u0000${b.directory}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
