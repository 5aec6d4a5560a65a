import type { Candidate } from '../providers/release.js';
import type { FolderFacts, FolderMemo } from './folder-facts.js';
import {
  containsPhrase,
  lastSeparator,
  normalizeForMatch,
  normalizeRange,
  parseRemotePath,
  SPACE,
  withoutPhrase,
  stripTrackNumber,
} from './normalize.js';
import { stripDecorations } from './query.js';
import {
  count,
  hasVariant,
  mayJoinVariant,
  onlyVariants,
  VARIANTS,
  variantMask,
} from './variants.js';

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
  /**
   * Normalized title, artist and album forms, taken out of a name before version words count
   * (withoutNames); the album's only when it is more than version words.
   */
  folderNames: { titles: string[]; artists: string[]; albums: string[] };
  /** ` ${form} ` of each title and album form in folderNames: found inside a name (namesRest). */
  innerNames: string[];
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
  // The request's own names are taken out of a name before its version words count (withoutNames):
  // the artist where a name starts with it ("Live - Throwing Copper", the band), the title and the
  // album wherever they are ("Oasis - Live Forever (Single)", "1994 - Live Through This"). So
  // their words allow nothing elsewhere: the album "Live Through This" allows no "Live at
  // Reading", the band Live no "Lightning Crashes (Live)". What stays allowed: the free text's
  // words and the title's brackets' ("(Live)" asks for it); the title's own "live" ("Live
  // Forever") says nothing about "Familiar to Millions (Live)".
  const albumFull = normalizeForMatch(target.album ?? '');
  // An album that is only version words ("Live") cannot be taken out of "Live at Wembley"
  // without hiding what the folder says: its words are allowed instead, as before.
  const albumNames = unique([albumFull, album]).filter((a) => !onlyVariants(a));
  const folderAllowanceText = `${albumNames.length === 0 ? albumFull : ''} ${keywordText}`;
  // A title that is only version words (a song called "Live") is not taken out of names: its
  // words are allowed in a file name instead.
  const allowanceText = `${folderAllowanceText} ${onlyVariants(title) ? title : ''}`;
  const requested = `${title} ${albumFull} ${keywordText}`;
  // Not a title that is only version words (a song called "Live"): taking it out of "Live at
  // Wembley" would hide what the folder says.
  const ownTitles = unique([title, titleCore]).filter((t) => !onlyVariants(t));
  const variants = VARIANTS.map((v) => {
    // The title's own version words ("Karma Police (Live)") ask for that version: they count in
    // names and folders; its core's ("Live Forever") are its name and do not.
    const ofTitle = Math.max(0, count(title, v.pattern) - count(titleCore, v.pattern));
    return {
      allowed: count(allowanceText, v.pattern) + ofTitle,
      allowedInFolder: count(folderAllowanceText, v.pattern) + ofTitle,
      requested: count(requested, v.pattern) > 0,
    };
  });
  return {
    titleForms: unique([title, titleCore]),
    artistForms: artistForms(target.artist),
    album,
    keywords: unique(keywordText.split(' ')),
    folderNames: {
      titles: ownTitles,
      artists: unique([artist, ...artistForms(target.artist)]),
      albums: albumNames,
    },
    innerNames: [...ownTitles, ...albumNames].map((own) => ` ${own} `),
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
    stem = normalizeRange(name, separator + 1, dot > separator + 1 ? dot : name.length);
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
    facts = parsed ? folders.ofFolders(parsed) : folders.facts(name, separator, candidate.username);
    const text = everythingOf(facts, stem, tagTitle, tagArtist, tagAlbum);
    for (const keyword of target.keywords) {
      if (!containsPhrase(text, keyword)) return `"${keyword}" not in path`;
    }
  }
  if (target.titleForms.length > 0 && !someIn(target.titleForms, stem, tagTitle)) {
    return hasTags ? 'title not in file name or tags' : 'title not in file name';
  }
  facts ??= parsed ? folders.ofFolders(parsed) : folders.facts(name, separator, candidate.username);
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
 * title, without the request's names, names more often than the request allows, or a folder (or
 * album tag), without them, more often than the request allows in a folder; bit i of a folder mask
 * is VARIANTS[i]. The plain rules look only when some variant word is in the whole text
 * ("everything"): a word in the file name or title tag is in it, and one in a folder's text mostly
 * is too (`anyVariant`); only a word that taking the names out made (rare) needs the whole text
 * built to be sure.
 */
function unrequestedVariantReason(
  target: PreparedTarget,
  facts: FolderFacts,
  stem: string,
  tagTitle: string,
  tagArtist: string,
  tagAlbum: string,
): string | undefined {
  const stemVariant = hasVariant(stem);
  const titleVariant = tagTitle !== '' && hasVariant(tagTitle);
  const stemRest = namesRest(stem, true, stemVariant, target);
  const titleRest = namesRest(tagTitle, false, titleVariant, target);
  const inStem = stemRest !== '' && hasVariant(stemRest);
  const inTitle = titleRest !== '' && hasVariant(titleRest);
  const containers =
    facts.variantMask |
    (tagAlbum === '' ? 0 : variantMask(withoutNames(tagAlbum, target), target.allowedInFolder));
  if (!inStem && !inTitle && containers === 0) return undefined;
  const open =
    stemVariant ||
    titleVariant ||
    facts.anyVariant ||
    hasVariant(everythingOf(facts, stem, tagTitle, tagArtist, tagAlbum));
  if (!open) return undefined;
  // The first variant in table order that the names or a container name too often.
  for (let i = 0; i < VARIANTS.length; i++) {
    const { pattern } = VARIANTS[i]!;
    const allowed = target.allowed[i]!;
    if (
      (containers & (1 << i)) !== 0 ||
      (inStem && count(stemRest, pattern) > allowed) ||
      (inTitle && count(titleRest, pattern) > allowed)
    ) {
      return NOT_REQUESTED[i];
    }
  }
  return undefined;
}

/**
 * withoutNames(text) (its track number taken off first for a file name, as the plain rules do),
 * or '' when that names no version word for sure: `text` names none (`hasVariant` false) and
 * either none of the request's title or album forms sits inside it with words on both sides, or
 * it has no word of a version phrase of several words (mayJoinVariant). Only such a removal joins
 * words into a new phrase ("re <title> mix"); a track number, a year, the artist or a name at
 * either end taken off leaves a tail or head of `text`, whose words it has. Most file names are
 * "[NN] [Artist -] Title" with the title inside: two searches and one test, no new string.
 */
function namesRest(
  text: string,
  isStem: boolean,
  hasVariant: boolean,
  target: PreparedTarget,
): string {
  if (text === '') return '';
  if (
    !hasVariant &&
    !(target.innerNames.some((inner) => text.includes(inner)) && mayJoinVariant(text))
  ) {
    return '';
  }
  return withoutNames(isStem ? stripTrackNumber(text) : text, target);
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
  const stemRest = withoutNames(stripTrackNumber(stem), target);
  const titleRest = withoutNames(tagTitle, target);
  for (const [i, variant] of VARIANTS.entries()) {
    const { allowed, allowedInFolder, requested } = target.variants[i]!;
    if (
      count(stemRest, variant.pattern) > allowed ||
      count(titleRest, variant.pattern) > allowed ||
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

/**
 * A name without the request's own names, for counting version words in it: the artist when the
 * name starts with it, after a year or number ("Live - Throwing Copper", "[1994] Live - …": the
 * band), unless what follows makes its word the version ("Live at the Paradiso", "Live in …");
 * the title and the album wherever they are ("Oasis - Live Forever (Single)", "1994 - Live
 * Through This"). What is left is what the name says about the recording. Folders go through it
 * once per ranking (folder-facts.ts), a file name once per file whose names are judged.
 */
export function withoutNames(name: string, target: PreparedTarget): string {
  // Most names start with a letter: the regular expression only for those that start with a digit.
  const first = name.charCodeAt(0);
  let rest = first >= 48 && first <= 57 ? name.replace(LEADING_NUMBERS, '') : name;
  const artist = target.folderNames.artists.find(
    (form) => rest === form || startsWithWord(rest, form),
  );
  if (
    artist !== undefined &&
    !(hasVariant(artist) && LIVE_PLACE.test(rest.slice(artist.length + 1)))
  )
    rest = rest.slice(artist.length);
  for (const own of target.folderNames.titles) rest = withoutPhrase(rest, own);
  for (const own of target.folderNames.albums) rest = withoutPhrase(rest, own);
  return rest.trim();
}

/** Years and numbers a folder name starts with ("1994 - …", "[2001] …"), normalized. */
const LEADING_NUMBERS = /^(?:\d+ )+/;
/** After a version word, the start of a place or an occasion: "live at", "live in", "live from". */
const LIVE_PLACE = /^(?:at|in|from|on|au|aus|im|en|ao|op) /;

/** text.startsWith(`${word} `), without making that string for every file and form. */
function startsWithWord(text: string, word: string): boolean {
  return text.charCodeAt(word.length) === SPACE && text.startsWith(word);
}

/** File named just "[NN] [Artist -] Title", nothing else. */
function isExactName(stem: string, target: PreparedTarget): boolean {
  let rest = stripTrackNumber(stem);
  const artist = target.artistForms.find((form) => startsWithWord(rest, form));
  if (artist) rest = stripTrackNumber(rest.slice(artist.length + 1));
  return target.titleForms.includes(rest) || target.titleForms.includes(stem);
}

export { ANY_VARIANT, VARIANTS, variantMask } from './variants.js';
