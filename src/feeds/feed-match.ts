import { containsPhrase, normalizeForMatch } from '../matching/normalize.js';
import { VARIANTS } from '../matching/track-match.js';

/**
 * Feed entry titles against the watchlist. Pure; every verdict carries its reason, a match's and
 * a miss's alike, for `GET /api/feeds/:id/entries`.
 *
 * Titles come in a few shapes, read in this order (the first that applies):
 *   "Artist - Album (2024) [FLAC]"         indexers, most label feeds (also "–" and "—")
 *   "Album, by Artist"                     Bandcamp
 *   "Artist: Album"                        some label and shop feeds
 *   "Artist-Album-WEB-2024-GROUP"          scene names (no spaces; "_" for spaces)
 *   "Album by Artist"                      a last resort: "by" is also a word of titles
 */

export interface ReleaseTitle {
  artist: string;
  /** The album (or track) title, without the bracketed tags and year. */
  release: string;
  year: number | null;
  /** Bracketed parts taken off: "FLAC", "WEB", "24-96", "Deluxe Edition"… */
  tags: string[];
}

export interface WatchRule {
  id: string;
  artist: string;
  album: string | null;
  keywords: readonly string[];
  excludeKeywords: readonly string[];
  /** Remixes, live records, karaoke… are matched only when this is set. */
  allowVariants: boolean;
  kind: 'album' | 'track';
  enabled: boolean;
}

export type MatchVerdict =
  | { matched: true; rule: WatchRule; title: ReleaseTitle; reason: string }
  | { matched: false; ruleId: string | null; title: ReleaseTitle | null; reason: string };

/** Brackets: "(2024)", "[FLAC]", "{WEB}". */
const BRACKETED = /\s*[([{]([^()[\]{}]*)[)\]}]\s*/g;
const YEAR = /^(?:19|20)\d{2}$/;
const DASH = /\s+[-–—]\s+/;

export function parseReleaseTitle(raw: string): ReleaseTitle | null {
  const title = raw.trim();
  if (!title) return null;
  const split = splitTitle(title);
  if (!split) return null;
  const tags: string[] = [];
  let year: number | null = null;
  const release = split.release
    .replace(BRACKETED, (_whole, inner: string) => {
      const tag = inner.trim();
      if (YEAR.test(tag)) year ??= Number(tag);
      else if (tag) tags.push(tag);
      return ' ';
    })
    // A trailing bare year ("Album 2024") is the release's, as scene names write it.
    .replace(/\s+((?:19|20)\d{2})$/, (_w, y: string) => {
      year ??= Number(y);
      return '';
    })
    .replace(/\s+/g, ' ')
    .trim();
  const artist = split.artist.replace(BRACKETED, ' ').replace(/\s+/g, ' ').trim();
  if (!artist || !release) return null;
  return { artist, release, year, tags };
}

function splitTitle(title: string): { artist: string; release: string } | null {
  const dash = DASH.exec(title);
  if (dash)
    return {
      artist: title.slice(0, dash.index),
      release: title.slice(dash.index + dash[0].length),
    };
  const bandcamp = /^(.+),\s+by\s+(.+)$/i.exec(title);
  if (bandcamp) return { artist: bandcamp[2] as string, release: bandcamp[1] as string };
  const colon = /^([^:]+):\s+(.+)$/.exec(title);
  if (colon) return { artist: colon[1] as string, release: colon[2] as string };
  if (!/\s/.test(title) && title.includes('-')) return sceneName(title);
  const by = /^(.+)\s+by\s+(.+)$/i.exec(title);
  if (by) return { artist: by[2] as string, release: by[1] as string };
  return null;
}

/** Scene tags after the album part, left out of the release title. */
const SCENE_TAGS =
  /^(?:web|cd|cdr|vinyl|vls|flac|mp3|aac|alac|320|v0|v2|24bit|16bit|lossless|retail|promo|bootleg|(?:19|20)\d{2}|[a-z]{2,3}|ost)$/i;

function sceneName(title: string): { artist: string; release: string } | null {
  const parts = title
    .split('-')
    .map((p) => p.replace(/_/g, ' ').trim())
    .filter(Boolean);
  if (parts.length < 2) return null;
  const [artist, ...rest] = parts as [string, ...string[]];
  const releaseParts: string[] = [];
  let end = 0;
  while (end < rest.length && !(releaseParts.length > 0 && SCENE_TAGS.test(rest[end] as string)))
    releaseParts.push(rest[end++] as string);
  // The year is among the tags after the album part ("-WEB-1998-GRP").
  const year = rest.slice(end).find((part) => YEAR.test(part)) ?? null;
  const release = releaseParts.join(' - ');
  return { artist, release: year ? `${release} (${year})` : release };
}

/** The main credit of an artist field: "A feat. B" is A's release. */
function mainArtist(normalized: string): string {
  const at = normalized.indexOf(' feat ');
  return at > 0 ? normalized.slice(0, at) : normalized;
}

function variantOf(normalized: string): string | null {
  for (const v of VARIANTS) {
    v.pattern.lastIndex = 0;
    if (v.pattern.test(normalized)) return v.name;
  }
  return null;
}

/** Why `rule` does not take `title`, or null when it does. */
function miss(rule: WatchRule, title: ReleaseTitle, full: string): string | null {
  const release = normalizeForMatch(title.release);
  if (rule.album !== null) {
    const album = normalizeForMatch(rule.album);
    if (!containsPhrase(release, album))
      return `"${title.release}" is not the album "${rule.album}" the rule asks for`;
  }
  for (const keyword of rule.keywords) {
    if (!containsPhrase(full, normalizeForMatch(keyword)))
      return `the keyword "${keyword}" is not in the title`;
  }
  for (const keyword of rule.excludeKeywords) {
    if (containsPhrase(full, normalizeForMatch(keyword)))
      return `the title has the excluded keyword "${keyword}"`;
  }
  if (!rule.allowVariants) {
    // The release and its tags: "Album (Remixes)" names the variant in brackets.
    const variant = variantOf(normalizeForMatch([title.release, ...title.tags].join(' ')));
    // A variant word the rule's own album or keywords name is asked for, not refused.
    const asked = normalizeForMatch([rule.album ?? '', ...rule.keywords].join(' '));
    if (variant && !(variantOf(asked) === variant))
      return `a ${variant} version (the rule does not ask for versions)`;
  }
  return null;
}

/**
 * The first enabled rule that takes the entry, with why; otherwise why not: the reason of a rule
 * whose artist matched (the closest miss), or that no watched artist is named.
 */
export function matchEntry(rawTitle: string, rules: readonly WatchRule[]): MatchVerdict {
  const title = parseReleaseTitle(rawTitle);
  if (!title)
    return {
      matched: false,
      ruleId: null,
      title: null,
      reason: 'the title names no "Artist - Release"',
    };
  const artist = normalizeForMatch(title.artist);
  const main = mainArtist(artist);
  const full = normalizeForMatch(rawTitle);
  let closest: { ruleId: string; reason: string } | null = null;
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const wanted = normalizeForMatch(rule.artist);
    if (wanted !== artist && wanted !== main) continue;
    const why = miss(rule, title, full);
    if (why === null)
      return {
        matched: true,
        rule,
        title,
        reason: `${rule.kind} by watched artist "${rule.artist}"${rule.album ? `, album "${rule.album}"` : ''}`,
      };
    closest ??= { ruleId: rule.id, reason: why };
  }
  if (closest) return { matched: false, ruleId: closest.ruleId, title, reason: closest.reason };
  return {
    matched: false,
    ruleId: null,
    title,
    reason: `"${title.artist}" is not on the watchlist`,
  };
}
