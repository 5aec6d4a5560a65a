import { containsPhrase, memoNormalize, parseFolders } from './normalize.js';
import { withoutNames, type PreparedTarget } from './track-match.js';
import { hasVariant, variantMask } from './variants.js';

/**
 * What a file's folders say about one request, worked out once per folder and ranking.
 *
 * A search's 25,000 results sit in far fewer folders ("@@alice\Music\Radiohead\OK Computer" holds
 * a dozen of them), and folder names repeat across peers too ("Radiohead", "OK Computer"). So the
 * folders of a path are parsed, normalized and judged (artist and album present, version words)
 * once per distinct folder path; a share alias or drive, which differs from peer to peer and is
 * never matched, is taken off first so "@@alice\Music\Radiohead" and "@@bob\Music\Radiohead" share
 * one answer. Only the file name is left to read per file (track-match.ts).
 */
export interface FolderFacts {
  /** Normalized folder names, outermost first, joined by spaces (the plain rules' wholePath start). */
  joined: string;
  /** Each folder without the request's own names (withoutNames): where version words count. */
  containers: string[];
  /** Some artist form is in `joined`. */
  artistFound: boolean;
  /** The request's album is in `joined`. */
  albumFound: boolean;
  /** Some version word is in `joined` (hasVariant). */
  anyVariant: boolean;
  /** Bit i: some container names VARIANTS[i] more often than the request allows in a folder. */
  variantMask: number;
}

export interface FolderMemo {
  /**
   * The facts of the folders of `remote`, whose last separator is at `separator` (-1: none).
   * `source` (the peer's name) only picks which last answer to try first: any string will do.
   */
  facts(remote: string, separator: number, source: string): FolderFacts;
  /** The facts of already parsed folder names (not remembered). */
  ofFolders(folders: string[]): FolderFacts;
  /** normalizeForMatch for one folder name, remembered for this ranking. */
  normalizePart(text: string): string;
}

/**
 * A memo for one ranking of one request. Unbounded on purpose: it lives for one call and holds at
 * most one entry per distinct folder of that call's candidates, which are in memory anyway.
 */
export function createFolderMemo(target: PreparedTarget): FolderMemo {
  const normalizePart = memoNormalize();
  // Keyed by the folder path as given, and by the path after a share alias or drive (taken off).
  const whole = new Map<string, FolderFacts>();
  const afterRoot = new Map<string, FolderFacts>();
  const ofFolders = (folders: string[]): FolderFacts => folderFacts(target, folders);
  const none = ofFolders([]);
  // The last folder path each source's file was in, and its facts: a peer's files of one folder
  // come in a row or near, so most lookups are one comparison of the path's folder part (a
  // slice, compared by memcmp: startsWith was five times slower) instead of map lookups, whose
  // hash reads the whole slice. The comparison decides, not the key.
  const lastOf = new Map<string, { directory: string; facts: FolderFacts }>();
  const lookUp = (remote: string, directory: string): FolderFacts => {
    const root = firstSeparator(remote);
    if (root > 0 && isShareRootAt(remote, root)) {
      const rest = directory.slice(root + 1);
      let facts = afterRoot.get(rest);
      if (facts === undefined) {
        facts = ofFolders(parseFolders(rest, normalizePart, false));
        afterRoot.set(rest, facts);
      }
      return facts;
    }
    let facts = whole.get(directory);
    if (facts === undefined) {
      facts = ofFolders(parseFolders(directory, normalizePart));
      whole.set(directory, facts);
    }
    return facts;
  };
  return {
    normalizePart,
    ofFolders,
    facts(remote, separator, source) {
      if (separator < 0) return none;
      const directory = remote.slice(0, separator);
      const last = lastOf.get(source);
      if (last !== undefined && last.directory === directory) return last.facts;
      const facts = lookUp(remote, directory);
      if (last === undefined) lastOf.set(source, { directory, facts });
      else {
        last.directory = directory;
        last.facts = facts;
      }
      return facts;
    },
  };
}

/**
 * The first separator of `remote`, which ends its first part: a share root when that part is not
 * empty. A path with a slash anywhere is split on both separators (parseRemotePath's rule), one
 * without only on backslashes: either way the first of the two ends the first part.
 */
function firstSeparator(remote: string): number {
  // A loop, not two indexOf calls: the first separator is a few characters in, and indexOf('/')
  // would read all of a path that has none (most Soulseek paths), for each file.
  for (let i = 0; i < remote.length; i++) {
    const c = remote.charCodeAt(i);
    if (c === 92 || c === 47) return i;
  }
  return -1;
}

/** isShareRoot(remote.slice(0, end)), without the slice: "@@…", or a drive letter and a colon. */
function isShareRootAt(remote: string, end: number): boolean {
  if (end >= 2 && remote.charCodeAt(0) === 64 && remote.charCodeAt(1) === 64) return true;
  const letter = remote.charCodeAt(0) | 32;
  return end === 2 && letter >= 97 && letter <= 122 && remote.charCodeAt(1) === 58;
}

function folderFacts(target: PreparedTarget, folders: string[]): FolderFacts {
  const joined = folders.join(' ');
  const containers = folders.map((folder) => withoutNames(folder, target));
  let mask = 0;
  for (const container of containers) mask |= variantMask(container, target.allowedInFolder);
  return {
    joined,
    containers,
    artistFound: target.artistForms.some((form) => containsPhrase(joined, form)),
    albumFound: target.album !== '' && containsPhrase(joined, target.album),
    anyVariant: hasVariant(joined),
    variantMask: mask,
  };
}
