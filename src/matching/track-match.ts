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
  /**
   * Normalized title, artist and album forms, taken out of a name before version words count
   * (withoutNames); the album's only when it is more than version words.
   */
  folderNames: { titles: string[]; artists: string[]; albums: string[] };
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
  // The request's own names are taken out of a name before its version words count (withoutNames):
  // the artist where a name starts with it ("Live - Throwing Copper", the band), the title and the
  // album wherever they are ("Oasis - Live Forever (Single)", "1994 - Live Through This"). So
  // their words allow nothing elsewhere: the album "Live Through This" allows no "Live at
  // Reading", the band Live no "Lightning Crashes (Live)". What stays allowed: the free text's
  // words and the title's brackets' ("(Live)" asks for it); the title's own "live" ("Live
  // Forever") says nothing about "Familiar to Millions (Live)".
  const onlyVariants = (text: string) => text.replace(ALL_VARIANTS, '').trim() === '';
  const albumFull = normalizeForMatch(target.album ?? '');
  // An album that is only version words ("Live") cannot be taken out of "Live at Wembley"
  // without hiding what the folder says: its words are allowed instead, as before.
  const albumNames = unique([albumFull, album]).filter((a) => !onlyVariants(a));
  const folderAllowanceText = `${albumNames.length === 0 ? albumFull : ''} ${keywordText}`;
  // A title that is only version words (a song called "Live") is not taken out of names: its
  // words are allowed in a file name instead.
  const allowanceText = `${folderAllowanceText} ${onlyVariants(title) ? title : ''}`;
  const requested = `${title} ${albumFull} ${keywordText}`;
  return {
    titleForms: unique([title, titleCore]),
    artistForms: artistForms(target.artist),
    album,
    keywords: unique(keywordText.split(' ')),
    folderNames: {
      // Not a title that is only version words (a song called "Live"): taking it out of "Live at
      // Wembley" would hide what the folder says.
      titles: unique([title, titleCore]).filter((t) => !onlyVariants(t)),
      artists: unique([artist, ...artistForms(target.artist)]),
      albums: albumNames,
    },
    variants: VARIANTS.map((v) => ({
      // The title's own version words ("Karma Police (Live)") ask for that version: they count in
      // names and folders; its core's ("Live Forever") are its name and do not.
      allowed:
        count(allowanceText, v.pattern) +
        Math.max(0, count(title, v.pattern) - count(titleCore, v.pattern)),
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
    // The file name without its track number and the names the request gives: "05 - Live -
    // Lightning Crashes" is the band's name, "Lightning Crashes (Live)" a live take.
    const names = [stripTrackNumber(stem), tagTitle].map((name) => withoutNames(name, target));
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
 * A name without the request's own names, for counting version words in it: the artist when the
 * name starts with it, after a year or number ("Live - Throwing Copper", "[1994] Live - …": the
 * band), unless what follows makes its word the version ("Live at the Paradiso", "Live in …");
 * the title and the album wherever they are ("Oasis - Live Forever (Single)", "1994 - Live
 * Through This"). What is left is what the name says about the recording.
 */
function withoutNames(name: string, target: PreparedTarget): string {
  let rest = name.replace(LEADING_NUMBERS, '');
  const artist = target.folderNames.artists.find(
    (form) => rest === form || rest.startsWith(`${form} `),
  );
  if (
    artist !== undefined &&
    !(ANY_VARIANT.test(artist) && LIVE_PLACE.test(rest.slice(artist.length + 1)))
  )
    rest = rest.slice(artist.length);
  for (const own of [...target.folderNames.titles, ...target.folderNames.albums]) {
    if (own !== '') rest = ` ${rest} `.split(` ${own} `).join(' ');
  }
  return rest.trim();
}

/** Years and numbers a folder name starts with ("1994 - …", "[2001] …"), normalized. */
const LEADING_NUMBERS = /^(?:\d+ )+/;
/** After a version word, the start of a place or an occasion: "live at", "live in", "live from". */
const LIVE_PLACE = /^(?:at|in|from|on|au|aus|im|en|ao|op) /;

/** File named just "[NN] [Artist -] Title", nothing else. */
function isExactName(stem: string, target: PreparedTarget): boolean {
  let rest = stripTrackNumber(stem);
  const artist = target.artistForms.find((form) => rest.startsWith(`${form} `));
  if (artist) rest = stripTrackNumber(rest.slice(artist.length + 1));
  return target.titleForms.includes(rest) || target.titleForms.includes(stem);
}
