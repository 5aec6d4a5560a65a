import type { Candidate } from '../providers/provider.js';
import {
  containsPhrase,
  normalizeForMatch,
  parseRemotePath,
  stripTrackNumber,
} from './normalize.js';
import { stripDecorations } from './query.js';

/**
 * Whether one file is the wanted recording, judged by names alone: the title in the file name (or
 * its title tag), the artist somewhere in the path (or its tags), no version word the request did
 * not ask for, and what that says for the score (album folder, an exact name). Pure; ranking.ts
 * calls it once per candidate, after the format and duration checks.
 */

export interface TrackTarget {
  artist: string;
  title: string;
  album?: string | null;
  durationSeconds?: number | null;
  /**
   * Free search text (a manual search without artist and title): every word of it must occur in
   * the path or the tags, in any order, instead of the title in the file name and the artist in the
   * path. Version words it contains ("live") count as asked for, as they do in a title.
   */
  keywords?: string | null;
}

/**
 * Versions of a recording that are not the recording, as words of normalized text. A file is
 * rejected for one unless the request itself names it (as often as the path does), in its file
 * name, its tags or any of its folders ("Live at Wembley\03 - Song.flac").
 *
 * Not here, on purpose: "remaster(ed)", "deluxe", "anniversary", "mono"/"stereo", "album version",
 * "original mix". A remaster is the same recording (same take, same length) with new mastering, and
 * most of what peers share of older albums is one; rejecting it would leave many requests with
 * nothing. The order decides which reason a file with several words gets: the first that applies.
 */
const VARIANTS: { name: string; pattern: RegExp }[] = [
  {
    name: 'remix',
    pattern:
      /(?<![^ ])(?:remix|remixes|remixed|re mix|rmx|(?:club|dub|vip|extended|dance|12|12 inch) mix|rework|reworked)(?![^ ])/g,
  },
  { name: 'live', pattern: /(?<![^ ])(?:live|en vivo|ao vivo)(?![^ ])/g },
  {
    name: 'karaoke',
    pattern:
      /(?<![^ ])(?:karaoke|in the style of|made famous by|originally performed by|backing tracks?)(?![^ ])/g,
  },
  { name: 'instrumental', pattern: /(?<![^ ])(?:instrumentals?|instr|inst)(?![^ ])/g },
  {
    name: 'acapella',
    pattern: /(?<![^ ])(?:acapellas?|acappellas?|a cappella|a capella)(?![^ ])/g,
  },
  { name: 'cover', pattern: /(?<![^ ])(?:covers?|covered by)(?![^ ])/g },
  { name: 'edit', pattern: /(?<![^ ])edit(?![^ ])/g },
  { name: 'demo', pattern: /(?<![^ ])demos?(?![^ ])/g },
  { name: 'sped up', pattern: /(?<![^ ])(?:sped up|speed up|spedup)(?![^ ])/g },
  { name: 'slowed', pattern: /(?<![^ ])slowed(?![^ ])/g },
  { name: 'nightcore', pattern: /(?<![^ ])nightcore(?![^ ])/g },
  // Kept after the older words, so a file one of those rejected keeps its reason.
  { name: 'tribute', pattern: /(?<![^ ])(?:tribute|tributes|lullaby|lullabies)(?![^ ])/g },
  { name: 'acoustic', pattern: /(?<![^ ])(?:acoustic|unplugged)(?![^ ])/g },
  { name: 'extended', pattern: /(?<![^ ])extended(?![^ ])/g },
  { name: 'bootleg', pattern: /(?<![^ ])(?:bootlegs?|mashup|mash up)(?![^ ])/g },
  { name: 'reprise', pattern: /(?<![^ ])reprise(?![^ ])/g },
  { name: 'session', pattern: /(?<![^ ])(?:bbc|peel|maida vale) sessions?(?![^ ])/g },
];

/** Any variant word at all: most files have none, and then one test replaces all of them. */
const ANY_VARIANT = new RegExp(VARIANTS.map((v) => v.pattern.source).join('|'));

/** Every variant word, to take them all out of a text. */
const ALL_VARIANTS = new RegExp(ANY_VARIANT.source, 'g');

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value.length > 0))];
}

/** Forms of the artist a folder or file name may use. */
function artistForms(artist: string): string[] {
  const full = normalizeForMatch(artist);
  const core = normalizeForMatch(stripDecorations(artist));
  // The first credited artist of "A, B", "A & B", "A + B", "A x B", "A feat. B" …
  const primary = normalizeForMatch(
    artist.split(/\s*(?:[,;/]|\s[&+]\s|\s(?:x|and|with|vs\.?|feat\.?|ft\.?|featuring)\s)\s*/i)[0] ??
      '',
  );
  const forms = [full, core, primary].flatMap((form) => [form, form.replace(/^the /, '')]);
  return unique(forms).filter((form) => form.replace(/ /g, '').length >= 2 || form === full);
}

export interface PreparedTarget {
  titleForms: string[];
  artistForms: string[];
  album: string;
  /** Normalized words of a free search text; empty for an artist/title request. */
  keywords: string[];
  /** Normalized title forms and artist forms, taken out of a folder name before version words count. */
  folderNames: { titles: string[]; artists: string[] };
  /** Per VARIANTS entry: how often the request names it (file name; folder) and whether it must show. */
  variants: { allowed: number; allowedInFolder: number; requested: boolean }[];
  durationSeconds: number | null;
}

export function prepareTarget(target: TrackTarget): PreparedTarget {
  const title = normalizeForMatch(target.title);
  const titleCore = normalizeForMatch(stripDecorations(target.title));
  const album = normalizeForMatch(stripDecorations(target.album ?? ''));
  const artist = normalizeForMatch(target.artist);
  const keywordText = normalizeForMatch(target.keywords ?? '');
  const duration = target.durationSeconds;
  // Variant words the request itself contains are allowed that many times in a file name. In a
  // folder only the album's, the free text's and the title's brackets' ("(Live)") count: the
  // title's own "live" ("Live Forever") says nothing about "Familiar to Millions (Live)". A folder
  // that names the title or starts with the artist ("Live - Throwing Copper") has those taken out
  // first.
  const allowanceText = `${title} ${artist} ${keywordText}`;
  const folderAllowanceText = `${normalizeForMatch(target.album ?? '')} ${keywordText}`;
  const requested = `${title} ${normalizeForMatch(target.album ?? '')} ${keywordText}`;
  return {
    titleForms: unique([title, titleCore]),
    artistForms: artistForms(target.artist),
    album,
    keywords: unique(keywordText.split(' ')),
    folderNames: {
      // Not a title that is only version words (a song called "Live"): taking it out of "Live at
      // Wembley" would hide what the folder says.
      titles: unique([title, titleCore]).filter((t) => t.replace(ALL_VARIANTS, '').trim() !== ''),
      artists: unique([artist, ...artistForms(target.artist)]),
    },
    variants: VARIANTS.map((v) => ({
      allowed: count(allowanceText, v.pattern),
      // The title's own version words ("Karma Police (Live)") ask for that version: they count in
      // folders too; its core's ("Live Forever") are its name and do not.
      allowedInFolder:
        count(folderAllowanceText, v.pattern) +
        Math.max(0, count(title, v.pattern) - count(titleCore, v.pattern)),
      requested: count(requested, v.pattern) > 0,
    })),
    durationSeconds: duration !== null && duration !== undefined && duration > 0 ? duration : null,
  };
}

export type NameMatch =
  { reason: string } | { reason?: undefined; albumMatches: boolean; exactName: boolean };

/**
 * Judges a candidate's names: a rejection reason, or what they add to its score. Tags, when the
 * provider knows them, count as much as the path: a title tag stands for the file name, artist and
 * album tags for folders.
 */
export function matchNames(
  target: PreparedTarget,
  candidate: Candidate,
  rejectVariants: boolean,
  normalizeFolder: (text: string) => string = normalizeForMatch,
): NameMatch {
  const { folders, stem } = parseRemotePath(candidate.filename, normalizeFolder);
  const tags = candidate.tags;
  const tagTitle = normalizeForMatch(tags?.title ?? '');
  const tagArtist = normalizeForMatch(`${tags?.artist ?? ''} ${tags?.albumArtist ?? ''}`);
  const tagAlbum = normalizeForMatch(tags?.album ?? '');
  const hasTags = tagTitle !== '' || tagArtist !== '' || tagAlbum !== '';
  const wholePath = `${folders.join(' ')} ${stem}`;
  const everything = `${wholePath} ${tagTitle} ${tagArtist} ${tagAlbum}`;

  if (target.keywords.length > 0) {
    const missing = target.keywords.find((k) => !containsPhrase(everything, k));
    if (missing !== undefined) return { reason: `"${missing}" not in path` };
  }
  if (
    target.titleForms.length > 0 &&
    !target.titleForms.some((t) => containsPhrase(stem, t) || containsPhrase(tagTitle, t))
  ) {
    return { reason: hasTags ? 'title not in file name or tags' : 'title not in file name' };
  }
  if (
    target.artistForms.length > 0 &&
    !target.artistForms.some((a) => containsPhrase(wholePath, a) || containsPhrase(tagArtist, a))
  ) {
    return { reason: hasTags ? 'artist not in path or tags' : 'artist not in path' };
  }
  const mustShow = target.variants.some((v) => v.requested);
  if (rejectVariants && (mustShow || ANY_VARIANT.test(everything))) {
    const names = [stem, tagTitle];
    // Folder by folder: "Live\Live - Throwing Copper" is the band Live twice, not a live album.
    const containers = [...folders, tagAlbum].map((folder) => withoutNames(folder, target));
    for (const [i, variant] of VARIANTS.entries()) {
      const { allowed, allowedInFolder, requested } = target.variants[i]!;
      if (
        names.some((name) => count(name, variant.pattern) > allowed) ||
        containers.some((folder) => count(folder, variant.pattern) > allowedInFolder)
      ) {
        return { reason: `${variant.name}, not requested` };
      }
      // A requested variant ("Song (Live)", a song of "MTV Unplugged") is not satisfied by the
      // studio "Song". An album named so ("Live Through This") asks for files named so: its folder.
      if (requested && count(everything, variant.pattern) === 0) {
        return { reason: `not the requested ${variant.name} version` };
      }
    }
  }
  const albumMatches =
    target.album !== '' &&
    (containsPhrase(wholePath, target.album) || containsPhrase(tagAlbum, target.album));
  return { albumMatches, exactName: isExactName(stem, target) };
}

/**
 * A folder name without the request's own names, for counting version words in it: the artist
 * when the folder starts with it ("Live - Throwing Copper", the band), the title wherever it is
 * ("Oasis - Live Forever (Single)"). What is left is what the folder says about the recording.
 */
function withoutNames(folder: string, target: PreparedTarget): string {
  let rest = folder;
  const artist = target.folderNames.artists.find(
    (form) => rest === form || rest.startsWith(`${form} `),
  );
  if (artist !== undefined) rest = rest.slice(artist.length);
  for (const title of target.folderNames.titles) {
    if (title !== '') rest = ` ${rest} `.split(` ${title} `).join(' ');
  }
  return rest.trim();
}

/** File named just "[NN] [Artist -] Title", nothing else. */
function isExactName(stem: string, target: PreparedTarget): boolean {
  let rest = stripTrackNumber(stem);
  const artist = target.artistForms.find((form) => rest.startsWith(`${form} `));
  if (artist) rest = stripTrackNumber(rest.slice(artist.length + 1));
  return target.titleForms.includes(rest) || target.titleForms.includes(stem);
}
