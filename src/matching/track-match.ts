import type { Candidate } from '../providers/provider.js';
import type { FolderFacts, FolderMemo } from './folder-facts.js';
import {
  containsPhrase,
  lastSeparator,
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
export const VARIANTS: { name: string; pattern: RegExp }[] = [
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

// variantMask keeps one bit per variant in a 32-bit integer.
if (VARIANTS.length > 31) throw new Error('VARIANTS outgrew variantMask: use two masks');

/** Any variant word at all: most files have none, and then one test replaces all of them. */
export const ANY_VARIANT = new RegExp(VARIANTS.map((v) => v.pattern.source).join('|'));

/** Every variant word, to take them all out of a text. */
const ALL_VARIANTS = new RegExp(ANY_VARIANT.source, 'g');

/** How often a global pattern matches `text` (as text.match(pattern).length), no arrays made. */
function count(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0;
  let n = 0;
  while (pattern.test(text)) n++;
  return n;
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
  /** The same counts as plain lists, VARIANTS order, for variantMask. */
  allowed: number[];
  allowedInFolder: number[];
  /** Some variant is requested: every file must show it (the full loop of requestedVariantReason). */
  mustShow: boolean;
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
  const variants = VARIANTS.map((v) => ({
    allowed: count(allowanceText, v.pattern),
    // The title's own version words ("Karma Police (Live)") ask for that version: they count in
    // folders too; its core's ("Live Forever") are its name and do not.
    allowedInFolder:
      count(folderAllowanceText, v.pattern) +
      Math.max(0, count(title, v.pattern) - count(titleCore, v.pattern)),
    requested: count(requested, v.pattern) > 0,
  }));
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
    variants,
    allowed: variants.map((v) => v.allowed),
    allowedInFolder: variants.map((v) => v.allowedInFolder),
    mustShow: variants.some((v) => v.requested),
    durationSeconds: duration !== null && duration !== undefined && duration > 0 ? duration : null,
  };
}

/** A rejection reason, or what the names add to the score. */
export type NameMatch = string | { albumMatches: boolean; exactName: boolean };

/**
 * Judges a candidate's names: a rejection reason, or what they add to its score. Tags, when the
 * provider knows them, count as much as the path: a title tag stands for the file name, artist and
 * album tags for folders. What the folders say comes from `folders` (folder-facts.ts), worked out
 * once per folder of the ranking; only the file name and the tags are read per file.
 *
 * The rules are those of the plain version in test/helpers/ranking-reference.ts, which
 * ranking.fast.properties.test.ts holds this to, result for result.
 */
export function matchNames(
  target: PreparedTarget,
  candidate: Candidate,
  rejectVariants: boolean,
  folders: FolderMemo,
): NameMatch {
  const name = candidate.filename;
  const separator = lastSeparator(name);
  let parsed: string[] | undefined;
  let stem: string;
  if (separator >= 0 && separator === name.length - 1) {
    // "Album\" (a trailing separator): the last folder is the name; the plain parse, unshared.
    const path = parseRemotePath(name, folders.normalizePart);
    parsed = path.folders;
    stem = path.stem;
  } else {
    let dot = name.length - 1;
    while (dot > separator && name.charCodeAt(dot) !== 46) dot--;
    stem = normalizeForMatch(name.slice(separator + 1, dot > separator + 1 ? dot : name.length));
  }
  const tags = candidate.tags;
  let tagTitle = '';
  let tagArtist = '';
  let tagAlbum = '';
  if (tags !== undefined) {
    tagTitle = normalizeForMatch(tags.title ?? '');
    tagArtist = normalizeForMatch(`${tags.artist ?? ''} ${tags.albumArtist ?? ''}`);
    tagAlbum = normalizeForMatch(tags.album ?? '');
  }
  const hasTags = tagTitle !== '' || tagArtist !== '' || tagAlbum !== '';
  // The folders are looked at only once the file name passed (keywords need them first).
  let facts: FolderFacts | undefined;
  // The whole path as one text only when a rule needs more than its parts: what the folders say is
  // already known, and most files are judged without building it.
  let wholePath: string | undefined;

  if (target.keywords.length > 0) {
    facts = parsed ? folders.ofFolders(parsed) : folders.facts(name, separator);
    const text = everythingOf(facts, stem, tagTitle, tagArtist, tagAlbum);
    for (const keyword of target.keywords) {
      if (!containsPhrase(text, keyword)) return `"${keyword}" not in path`;
    }
  }
  if (target.titleForms.length > 0 && !someIn(target.titleForms, stem, tagTitle)) {
    return hasTags ? 'title not in file name or tags' : 'title not in file name';
  }
  facts ??= parsed ? folders.ofFolders(parsed) : folders.facts(name, separator);
  // A phrase in the folders is a phrase in the whole path (the folders' words come first in it).
  if (target.artistForms.length > 0 && !facts.artistFound) {
    wholePath = `${facts.joined} ${stem}`;
    if (!someIn(target.artistForms, wholePath, tagArtist)) {
      return hasTags ? 'artist not in path or tags' : 'artist not in path';
    }
  }
  if (rejectVariants) {
    const reason = target.mustShow
      ? requestedVariantReason(target, facts, stem, tagTitle, tagArtist, tagAlbum)
      : unrequestedVariantReason(target, facts, stem, tagTitle, tagArtist, tagAlbum);
    if (reason !== undefined) return reason;
  }
  const albumMatches =
    target.album !== '' &&
    (facts.albumFound ||
      containsPhrase((wholePath ??= `${facts.joined} ${stem}`), target.album) ||
      containsPhrase(tagAlbum, target.album));
  return { albumMatches, exactName: isExactName(stem, target) };
}

/** The whole text the plain rules test variant words and keywords in, exactly as they build it. */
function everythingOf(
  facts: FolderFacts,
  stem: string,
  tagTitle: string,
  tagArtist: string,
  tagAlbum: string,
): string {
  return `${facts.joined} ${stem} ${tagTitle} ${tagArtist} ${tagAlbum}`;
}

/** Whether one of `forms` is in `first` or in `second`. */
function someIn(forms: readonly string[], first: string, second: string): boolean {
  for (const form of forms) {
    if (containsPhrase(first, form) || containsPhrase(second, form)) return true;
  }
  return false;
}

const NOT_REQUESTED = VARIANTS.map((v) => `${v.name}, not requested`);

/**
 * The usual case, nothing asked for: a file is rejected for the first variant its name or tag
 * title names more often than the request does, or a folder (or album tag), without the request's
 * names, more often than the request allows in a folder; bit i of a folder mask is VARIANTS[i].
 * The plain rules look only when some variant word is in the whole text ("everything"): a word in
 * the file name or title tag is in it, and one in a folder's text mostly is too (`anyVariant`);
 * only a word that taking the names out made (rare) needs the whole text built to be sure.
 */
function unrequestedVariantReason(
  target: PreparedTarget,
  facts: FolderFacts,
  stem: string,
  tagTitle: string,
  tagArtist: string,
  tagAlbum: string,
): string | undefined {
  const inStem = ANY_VARIANT.test(stem);
  const inTitle = tagTitle !== '' && ANY_VARIANT.test(tagTitle);
  const containers =
    facts.variantMask |
    (tagAlbum === '' ? 0 : variantMask(withoutNames(tagAlbum, target), target.allowedInFolder));
  if (!inStem && !inTitle && containers === 0) return undefined;
  const open =
    inStem ||
    inTitle ||
    facts.anyVariant ||
    ANY_VARIANT.test(everythingOf(facts, stem, tagTitle, tagArtist, tagAlbum));
  if (!open) return undefined;
  // The first variant in table order that the names or a container name too often.
  for (let i = 0; i < VARIANTS.length; i++) {
    const { pattern } = VARIANTS[i]!;
    const allowed = target.allowed[i]!;
    if (
      (containers & (1 << i)) !== 0 ||
      (inStem && count(stem, pattern) > allowed) ||
      (inTitle && count(tagTitle, pattern) > allowed)
    ) {
      return NOT_REQUESTED[i];
    }
  }
  return undefined;
}

/** A request that names a variant ("Song (Live)"): the plain loop, every variant in order. */
function requestedVariantReason(
  target: PreparedTarget,
  facts: FolderFacts,
  stem: string,
  tagTitle: string,
  tagArtist: string,
  tagAlbum: string,
): string | undefined {
  const everything = everythingOf(facts, stem, tagTitle, tagArtist, tagAlbum);
  const album = withoutNames(tagAlbum, target);
  for (const [i, variant] of VARIANTS.entries()) {
    const { allowed, allowedInFolder, requested } = target.variants[i]!;
    if (
      count(stem, variant.pattern) > allowed ||
      count(tagTitle, variant.pattern) > allowed ||
      facts.containers.some((folder) => count(folder, variant.pattern) > allowedInFolder) ||
      count(album, variant.pattern) > allowedInFolder
    ) {
      return NOT_REQUESTED[i];
    }
    // A requested variant ("Song (Live)", a song of "MTV Unplugged") is not satisfied by the
    // studio "Song". An album named so ("Live Through This") asks for files named so: its folder.
    if (requested && count(everything, variant.pattern) === 0) {
      return `not the requested ${variant.name} version`;
    }
  }
  return undefined;
}

/** Bit i set: `text` names VARIANTS[i] more often than `limits[i]`. One test when it names none. */
export function variantMask(text: string, limits: readonly number[]): number {
  if (text === '' || !ANY_VARIANT.test(text)) return 0;
  let mask = 0;
  for (let i = 0; i < VARIANTS.length; i++) {
    if (count(text, VARIANTS[i]!.pattern) > limits[i]!) mask |= 1 << i;
  }
  return mask;
}

/**
 * A folder name without the request's own names, for counting version words in it: the artist
 * when the folder starts with it ("Live - Throwing Copper", the band), the title wherever it is
 * ("Oasis - Live Forever (Single)"). What is left is what the folder says about the recording.
 */
export function withoutNames(folder: string, target: PreparedTarget): string {
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
