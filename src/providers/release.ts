/**
 * The shared vocabulary of sources, whatever the protocol: provider ids, the source key, releases
 * and candidates. Every feature (matching, downloads, albums, search, blocklist) imports these from
 * here; only a provider's own folder knows how its daemon spells them. Pure types and helpers.
 *
 * The words:
 * - a **provider** is one daemon SoulSpot talks to (`slskd`; later `qbittorrent`, `sabnzbd`, …),
 *   playing one or both roles of `provider.ts`: an indexer finds releases, a download client fetches them;
 * - a **source** is who offers a release within a provider: a Soulseek peer (its username), an
 *   indexer, a tracker. Limits, health, the blocklist and track records are kept per
 *   (provider, source): the same name at two providers is two sources;
 * - a **release** is what one source offers as a unit: one file, or a folder with its files (a
 *   peer's album folder; later a torrent or an NZB);
 * - a **candidate** is one file of a release at one source, with the neutral facts ranking reads.
 */

/**
 * A provider's id, stored in rows (`attempts.provider`, `blocklist.provider`, …) and sent on the
 * wire. Open-ended on purpose: a new provider brings its id with it, no list here to extend.
 */
export type ProviderId = string;

/** The first provider, and the one rows written before providers were a dimension belong to. */
export const SLSKD: ProviderId = 'slskd';

/**
 * Who offers a release. `username` is the source key within the provider: slskd's peer name; for
 * an indexer-found release, the indexer's id. The field keeps the name the API, the stored
 * candidates and the database columns have always used, so nothing stored or sent changes.
 */
export interface SourceRef {
  provider: ProviderId;
  username: string;
}

/**
 * One string per (provider, source), for maps and sets: a JSON array, so no separator a name
 * could contain makes two sources one.
 */
export function sourceKey(s: SourceRef): string {
  return JSON.stringify([s.provider, s.username]);
}

/** The distinct sources of some candidates (or attempts), first-seen order. */
export function sourcesOf(items: readonly SourceRef[]): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const { provider, username } of items) {
    const key = sourceKey({ provider, username });
    if (!seen.has(key)) seen.set(key, { provider, username });
  }
  return [...seen.values()];
}

/** A file's own tags, when the provider knows them (slskd search answers carry none). */
export interface CandidateTags {
  artist?: string;
  albumArtist?: string;
  title?: string;
  album?: string;
}

/** One file of a release: what it is, as neutral facts. Unknown facts are absent. */
export interface ReleaseFile {
  /** Remote path exactly as the provider reported it (Soulseek paths use backslashes). */
  filename: string;
  /** Bytes, as reported by the source. */
  size: number;
  /** Lower-case extension without the dot, derived from `filename` (the daemon's field is unreliable). */
  extension: string;
  bitRate?: number;
  sampleRate?: number;
  bitDepth?: number;
  lengthSeconds?: number;
  isVariableBitRate?: boolean;
  /** Matching reads them as it reads the path. */
  tags?: CandidateTags;
}

/**
 * How soon and how fast a source would deliver: the availability estimate ranking weighs. Every
 * provider fills all three, in these neutral meanings (the names are slskd's, kept because they are
 * the wire's and the stored candidates'):
 * - `hasFreeUploadSlot`: the transfer would start at once (slskd: a free upload slot; a torrent:
 *   seeders > 0; Usenet: always, within retention);
 * - `queueLength`: how many transfers wait ahead of ours at the source (0 when it has no queue);
 * - `uploadSpeed`: the rate the source sends at, bytes/s (0 when unknown).
 */
export interface SourceAvailability {
  hasFreeUploadSlot: boolean;
  queueLength: number;
  uploadSpeed: number;
}

/**
 * A release an indexer (Torznab, Newznab, an RSS feed) announced: the document a download client
 * takes (a .torrent, a magnet link, an .nzb), with what the indexer said of it. It travels on the
 * candidate and on the enqueue request, so a restart re-adds exactly what was chosen.
 */
export interface IndexerRelease {
  protocol: 'torrent' | 'usenet';
  /** The indexer's id (its configured name): the candidate's source. */
  indexer: string;
  /** The indexer's id for the item (RSS `guid`), stable across polls. */
  guid: string;
  title: string;
  /** Where the client fetches it: an http(s) URL of a .torrent or .nzb, or a `magnet:` link. */
  link: string;
  /** Lower-case hex v1 info-hash, when the indexer gave one (torrents). */
  infohash?: string;
  /** Bytes of the whole release. */
  size: number;
  seeders?: number;
  peers?: number;
  grabs?: number;
  /** Epoch ms of the indexer's publication (usenetdate / pubDate). */
  publishedAt?: number;
  categories: number[];
  /**
   * The one file of a multi-file release this candidate stands for, as the release document
   * (.torrent, .nzb) names it: set where an album search chose it from the release's files
   * (src/albums/indexer-album.ts), so the client fetches exactly that file. Absent: the client
   * picks the wanted track's file itself (pickReleaseFile).
   */
  file?: string;
}

/**
 * One fetchable file: a release file at a source, with its availability. Search answers,
 * browsed folders and indexer results all become these. An indexer result is a whole release
 * (`release` set, `filename` its title): the client picks the wanted file once it knows the
 * release's files (src/matching/release-files.ts).
 */
export interface Candidate extends ReleaseFile, SourceRef, SourceAvailability {
  release?: IndexerRelease;
}

/** A release: one file, or a folder (a peer's album folder; later a torrent or an NZB) with its files. */
export interface Release extends SourceRef {
  kind: 'file' | 'folder';
  /** The folder's path at the source, or the file's path for a one-file release. */
  path: string;
  files: ReleaseFile[];
}
