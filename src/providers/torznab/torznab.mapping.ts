import { XMLParser } from 'fast-xml-parser';
import { parseReleaseTitle } from '../../matching/release-title.js';
import type { Candidate, IndexerRelease } from '../release.js';

/**
 * Torznab/Newznab documents to SoulSpot's shapes. Pure. The feed is remote input: any field may be
 * missing, repeated, garbled or huge, so nothing here throws on one item; a bad item is skipped
 * and counted, and a document that is not XML at all is one `TorznabDocumentError`.
 */

export class TorznabDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorznabDocumentError';
  }
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['item', 'category', 'enclosure', 'subcat']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Values stay text: "00123" is a name, "1e400" is not Infinity until we say so.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name) || name.endsWith(':attr') || name === 'attr',
  // A feed has no business defining entities; the few a real one uses (&amp;, &#233;) are built in.
  processEntities: {
    enabled: true,
    maxEntityCount: 50,
    maxEntitySize: 1000,
    maxExpandedLength: 200_000,
  },
  htmlEntities: true,
});

function parse(xml: string): Node {
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (error) {
    throw new TorznabDocumentError(`not a readable XML document (${(error as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object') throw new TorznabDocumentError('empty document');
  return doc as Node;
}

function obj(value: unknown): Node | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Node)
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The text of an element: a string, or an element with attributes' `#text`. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const node = obj(value);
  const inner = node?.['#text'];
  return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : undefined;
}

function attr(node: Node | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** A non-negative integer no larger than `max`, or undefined for anything else ("NaN", "-1", "1e400"). */
export function count(raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined || !/^\s*\d{1,20}\s*$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value <= max ? value : undefined;
}

/** An indexer error document: `<error code="100" description="Incorrect user credentials"/>`. */
export interface IndexerErrorDoc {
  code: number;
  description: string;
}

/** The error a document is, or null when it is not one. */
export function readError(xml: string): IndexerErrorDoc | null {
  const doc = parse(xml);
  const error = obj(doc.error) ?? obj(obj(doc.rss)?.error);
  if (!error) return null;
  return {
    code: count(attr(error, 'code')) ?? 0,
    description: (attr(error, 'description') ?? '').slice(0, 300),
  };
}

export interface SearchCaps {
  available: boolean;
  supportedParams: string[];
}

export interface IndexerCaps {
  search: SearchCaps;
  musicSearch: SearchCaps;
  categories: { id: number; name: string }[];
  limits: { max?: number; default?: number };
}

function searchCaps(node: Node | undefined): SearchCaps {
  return {
    available: (attr(node, 'available') ?? 'no').toLowerCase() === 'yes',
    supportedParams: (attr(node, 'supportedParams') ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter((p) => p !== ''),
  };
}

/** `t=caps`: which searches the indexer offers, with which parameters, in which categories. */
export function parseCaps(xml: string): IndexerCaps {
  const caps = obj(parse(xml).caps);
  if (!caps) throw new TorznabDocumentError('no <caps> element');
  const searching = obj(caps.searching);
  const limits = obj(caps.limits);
  const categories: { id: number; name: string }[] = [];
  for (const raw of list(obj(caps.categories)?.category)) {
    const category = obj(raw);
    const id = count(attr(category, 'id'), 999_999);
    if (id === undefined) continue;
    categories.push({ id, name: attr(category, 'name') ?? '' });
    for (const sub of list(category?.subcat)) {
      const subId = count(attr(obj(sub), 'id'), 999_999);
      if (subId !== undefined) categories.push({ id: subId, name: attr(obj(sub), 'name') ?? '' });
    }
  }
  const max = count(attr(limits, 'max'), 10_000);
  const dflt = count(attr(limits, 'default'), 10_000);
  return {
    // A caps without <searching> is an old indexer: plain search, no music search.
    search: searching
      ? searchCaps(obj(searching.search))
      : { available: true, supportedParams: ['q'] },
    musicSearch: searchCaps(obj(searching?.['music-search']) ?? obj(searching?.['audio-search'])),
    categories,
    limits: { ...(max ? { max } : {}), ...(dflt ? { default: dflt } : {}) },
  };
}

export interface FeedPage {
  releases: IndexerRelease[];
  /** Items dropped as unusable (no title, no link, a link that is not http(s) or magnet). */
  skipped: number;
  /** Items in the document, usable or not: a page shorter than asked is the last. */
  items: number;
  /** `newznab:response total`, when the indexer says how many there are in all. */
  total?: number;
}

/** Which indexer a feed came from, for the releases it yields. */
export interface FeedContext {
  indexer: string;
  protocol: 'torrent' | 'usenet';
}

/** A search answer (`t=search`, `t=music`): its items as releases. */
export function parseFeed(xml: string, context: FeedContext): FeedPage {
  const doc = parse(xml);
  const channel = obj(obj(doc.rss)?.channel);
  if (!channel) throw new TorznabDocumentError('no <rss><channel> element');
  const items = list(channel.item);
  const releases: IndexerRelease[] = [];
  let skipped = 0;
  for (const item of items) {
    const release = mapItem(obj(item), context);
    if (release) releases.push(release);
    else skipped++;
  }
  const response = attrsElement(channel, 'response');
  const total = count(attr(response, 'total'));
  return { releases, skipped, items: items.length, ...(total !== undefined ? { total } : {}) };
}

/** `<newznab:response>` / `<torznab:response>` (whatever the prefix). */
function attrsElement(node: Node, local: string): Node | undefined {
  for (const [key, value] of Object.entries(node)) {
    if (key === local || key.endsWith(`:${local}`)) return obj(value);
  }
  return undefined;
}

/** `torznab:attr` / `newznab:attr` name → value; the first of a repeated name wins, but `category` collects. */
function attributes(item: Node): { values: Map<string, string>; categories: string[] } {
  const values = new Map<string, string>();
  const categories: string[] = [];
  for (const [key, raw] of Object.entries(item)) {
    if (key !== 'attr' && !key.endsWith(':attr')) continue;
    for (const entry of list(raw)) {
      const name = attr(obj(entry), 'name')?.toLowerCase();
      const value = attr(obj(entry), 'value');
      if (name === undefined || value === undefined) continue;
      if (name === 'category') categories.push(value);
      else if (!values.has(name)) values.set(name, value);
    }
  }
  return { values, categories };
}

const MAX_TITLE = 500;
const MAX_LINK = 8192;

function usableLink(raw: string | undefined): string | undefined {
  const link = raw?.trim();
  if (!link || link.length > MAX_LINK) return undefined;
  if (/^magnet:\?/i.test(link)) return link;
  try {
    const url = new URL(link);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A v1 info-hash, lower-case hex, from the attribute or the magnet link. */
function infohashOf(attrValue: string | undefined, magnet: string | undefined): string | undefined {
  const direct = attrValue?.trim();
  if (direct && /^[0-9a-f]{40}$/i.test(direct)) return direct.toLowerCase();
  const fromMagnet = magnet
    ? /xt=urn:btih:([0-9a-f]{40})(?![0-9a-z])/i.exec(magnet)?.[1]
    : undefined;
  return fromMagnet?.toLowerCase();
}

/** Epoch ms of an RFC 822 date (pubDate, usenetdate), or undefined for nonsense. */
function dateOf(raw: string | undefined): number | undefined {
  if (!raw || raw.length > 100) return undefined;
  const ms = Date.parse(raw);
  // Before 1990 or far in the future is a broken clock or a forged item, not a publication.
  return Number.isFinite(ms) && ms > 631_152_000_000 && ms < 4_102_444_800_000 ? ms : undefined;
}

/** Strips control characters (a title is shown and used as a name; it must never carry them). */
function cleanTitle(raw: string): string {
  return raw
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_TITLE);
}

function mapItem(item: Node | undefined, context: FeedContext): IndexerRelease | null {
  if (!item) return null;
  const title = cleanTitle(text(item.title) ?? '');
  if (title === '') return null;
  const { values, categories: attrCategories } = attributes(item);
  const enclosure = obj(list(item.enclosure)[0]);
  const magnet = usableLink(values.get('magneturl'));
  const link = usableLink(attr(enclosure, 'url')) ?? usableLink(text(item.link)) ?? magnet;
  if (link === undefined) return null;
  const infohash = infohashOf(
    values.get('infohash'),
    magnet ?? (link.startsWith('magnet:') ? link : undefined),
  );
  const guid = (text(item.guid)?.trim() || infohash || link).slice(0, MAX_LINK);
  const size =
    count(values.get('size')) ?? count(text(item.size)) ?? count(attr(enclosure, 'length')) ?? 0;
  const categories = [
    ...new Set(
      [...attrCategories, ...list(item.category).map(text)]
        .map((c) => count(c, 999_999))
        .filter((c): c is number => c !== undefined),
    ),
  ];
  const release: IndexerRelease = {
    protocol: context.protocol,
    indexer: context.indexer,
    guid,
    title,
    link,
    size,
    categories,
  };
  if (infohash !== undefined) release.infohash = infohash;
  const seeders = count(values.get('seeders'), 1e9);
  const peers = count(values.get('peers'), 1e9);
  const grabs = count(values.get('grabs'), 1e9);
  if (seeders !== undefined) release.seeders = seeders;
  if (peers !== undefined) release.peers = peers;
  if (grabs !== undefined) release.grabs = grabs;
  const published = dateOf(values.get('usenetdate')) ?? dateOf(text(item.pubDate));
  if (published !== undefined) release.publishedAt = published;
  return release;
}

/** Newznab audio categories that name a format when the title names none. */
const CATEGORY_FORMATS: Record<number, string> = { 3010: 'mp3', 3040: 'flac' };

/**
 * A release as a ranking candidate: one "file" named by the release title, fetched by `clientId`
 * (the download client for its protocol), offered by the indexer. Its audio facts are what the
 * title names (release-title.ts), the format from a lossless/MP3 category when the title says
 * nothing. Availability: a torrent starts at once only with seeders; Usenet always does.
 */
export function releaseCandidate(release: IndexerRelease, clientId: string): Candidate {
  const audio = parseReleaseTitle(release.title);
  const byCategory = release.categories
    .map((c) => CATEGORY_FORMATS[c])
    .find((f) => f !== undefined);
  const candidate: Candidate = {
    provider: clientId,
    username: release.indexer,
    filename: release.title,
    size: release.size,
    extension: audio.extension ?? byCategory ?? '',
    hasFreeUploadSlot: release.protocol === 'usenet' || (release.seeders ?? 0) > 0,
    queueLength: 0,
    uploadSpeed: 0,
    release,
  };
  if (audio.bitRate !== undefined) candidate.bitRate = audio.bitRate;
  if (audio.isVariableBitRate !== undefined) candidate.isVariableBitRate = audio.isVariableBitRate;
  if (audio.bitDepth !== undefined) candidate.bitDepth = audio.bitDepth;
  if (audio.sampleRate !== undefined) candidate.sampleRate = audio.sampleRate;
  return candidate;
}

/**
 * `text` with the API key taken out: every `apikey=` query value, and the key itself wherever it
 * appears (an indexer echoing it in an error). Error messages quote URLs; they reach logs and the
 * API (a download's errorMessage).
 */
export function redactApiKey(text: string, apiKey: string): string {
  let out = text.replace(/([?&]apikey=)[^&\s#"']*/gi, '$1[redacted]');
  if (apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
  const encoded = encodeURIComponent(apiKey);
  if (encoded !== apiKey && encoded.length >= 4) out = out.split(encoded).join('[redacted]');
  return out;
}
