import { XMLParser } from 'fast-xml-parser';

/**
 * RSS 2.0 (Torznab/Newznab results are RSS too), RSS 1.0 and Atom 1.0 feeds read into plain
 * entries. Pure, and total: any input, however malformed or hostile, gives either entries or a
 * reason, never an exception.
 *
 * Entities: the XML parser's own expansion is off (`processEntities: false`), so a DOCTYPE's
 * entity declarations (the "billion laughs") expand to nothing; the five predefined entities and
 * numeric references are decoded here, once, into text. Text is text: titles are stored as they
 * read and never handed to anything as HTML (an Atom `type="html"` title is reduced to its text).
 */

/** One entry of a feed, as SoulSpot keeps it. */
export interface FeedEntry {
  /** guid / atom:id, else the link, else title + date: what de-duplicates the entry. */
  id: string;
  title: string;
  /** http(s) only; anything else (javascript:, data:) is dropped. */
  link: string | null;
  /** Epoch ms, or null when absent or unreadable. */
  publishedAt: number | null;
  enclosure: { url: string; length: number | null; type: string | null } | null;
}

export type ParsedFeed =
  | { ok: true; format: 'rss' | 'atom' | 'rdf'; title: string | null; entries: FeedEntry[] }
  | { ok: false; reason: string };

/** Entries read from one document at most: a feed is a window on recent releases. */
export const MAX_ENTRIES = 1000;
/** Longest title, link and id kept (a longer id still de-duplicates: it is hashed whole). */
export const MAX_TITLE = 1000;
export const MAX_URL = 2000;
export const MAX_ID = 2000;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ['item', 'entry', 'link', 'enclosure', 'channel'].includes(name),
});

type Node = Record<string, unknown>;

export function parseFeed(xml: string): ParsedFeed {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (error) {
    return {
      ok: false,
      reason: `not well-formed XML: ${String((error as Error).message).slice(0, 200)}`,
    };
  }
  if (!isNode(doc)) return { ok: false, reason: 'not an XML document' };
  try {
    const rss = doc['rss'];
    if (isNode(rss)) {
      const channel = first(rss['channel']);
      if (!isNode(channel)) return { ok: false, reason: 'an RSS document without a <channel>' };
      return {
        ok: true,
        format: 'rss',
        title: textOf(channel['title']) || null,
        entries: items(channel['item'], rssEntry),
      };
    }
    const atom = doc['feed'];
    if (isNode(atom))
      return {
        ok: true,
        format: 'atom',
        title: textOf(atom['title']) || null,
        entries: items(atom['entry'], atomEntry),
      };
    const rdf = doc['rdf:RDF'];
    if (isNode(rdf)) {
      const channel = first(rdf['channel']);
      return {
        ok: true,
        format: 'rdf',
        title: isNode(channel) ? textOf(channel['title']) || null : null,
        entries: items(rdf['item'], rssEntry),
      };
    }
    return { ok: false, reason: 'neither RSS nor Atom (no <rss>, <feed> or <rdf:RDF> root)' };
  } catch (error) {
    // The readers below only look at plain objects and strings; this is the last guard of "total".
    return {
      ok: false,
      reason: `unreadable feed: ${String((error as Error).message).slice(0, 200)}`,
    };
  }
}

function items(list: unknown, read: (node: Node) => FeedEntry | null): FeedEntry[] {
  const out: FeedEntry[] = [];
  for (const node of Array.isArray(list) ? list : []) {
    if (out.length >= MAX_ENTRIES) break;
    if (!isNode(node)) continue;
    const entry = read(node);
    if (entry) out.push(entry);
  }
  return out;
}

function rssEntry(item: Node): FeedEntry | null {
  const title = clip(textOf(item['title']), MAX_TITLE);
  const link = httpUrl(textOf(first(item['link'])));
  const publishedAt = date(textOf(item['pubDate'])) ?? date(textOf(item['dc:date']));
  const enclosureNode = first(item['enclosure']);
  const enclosureUrl = isNode(enclosureNode) ? httpUrl(attr(enclosureNode, 'url')) : null;
  const enclosure =
    enclosureUrl && isNode(enclosureNode)
      ? {
          url: enclosureUrl,
          length: count(attr(enclosureNode, 'length')),
          type: clip(attr(enclosureNode, 'type'), 100) || null,
        }
      : null;
  const guid = textOf(item['guid']) || attr(item, 'rdf:about');
  const id = guid || link || enclosureUrl || (title ? `${title}|${publishedAt ?? ''}` : '');
  if (!id || !title) return null;
  return { id: clip(id, MAX_ID), title, link, publishedAt, enclosure };
}

function atomEntry(entry: Node): FeedEntry | null {
  const title = clip(textOf(entry['title']), MAX_TITLE);
  const links = Array.isArray(entry['link']) ? (entry['link'] as unknown[]).filter(isNode) : [];
  const alternate = links.find((l) => ['', 'alternate'].includes(attr(l, 'rel')));
  const enclosureNode = links.find((l) => attr(l, 'rel') === 'enclosure');
  const link = alternate ? httpUrl(attr(alternate, 'href')) : null;
  const enclosureUrl = enclosureNode ? httpUrl(attr(enclosureNode, 'href')) : null;
  const publishedAt = date(textOf(entry['published'])) ?? date(textOf(entry['updated']));
  const id = textOf(entry['id']) || link || (title ? `${title}|${publishedAt ?? ''}` : '');
  if (!id || !title) return null;
  return {
    id: clip(id, MAX_ID),
    title,
    link,
    publishedAt,
    enclosure:
      enclosureUrl && enclosureNode
        ? {
            url: enclosureUrl,
            length: count(attr(enclosureNode, 'length')),
            type: clip(attr(enclosureNode, 'type'), 100) || null,
          }
        : null,
  };
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

function attr(node: Node, name: string): string {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? cleanText(decodeEntities(v)) : '';
}

/**
 * The text of an element: a string, or an element with attributes ("#text"), or markup inside it
 * (Atom type="xhtml": its text, tags dropped). An html-typed title is escaped markup: decoded once
 * for XML, then its tags taken out and decoded again, as a reader shows it.
 */
export function textOf(value: unknown, depth = 0): string {
  if (typeof value === 'string') return cleanText(decodeEntities(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return textOf(value[0], depth + 1);
  if (!isNode(value) || depth > 20) return '';
  const type = typeof value['@_type'] === 'string' ? value['@_type'].toLowerCase() : '';
  const raw = value['#text'];
  if (typeof raw === 'string' || typeof raw === 'number') {
    const once = decodeEntities(String(raw));
    return cleanText(type === 'html' ? decodeEntities(once.replace(/<[^>]*>/g, ' ')) : once);
  }
  // Markup as elements (xhtml): the text of the children, in order.
  const parts: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('@_')) continue;
    const text = textOf(child, depth + 1);
    if (text) parts.push(text);
  }
  return cleanText(parts.join(' '));
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The XML predefined entities and numeric character references; anything else stays as written. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});/g,
    (whole, body: string) => {
      if (body.startsWith('#')) {
        const code =
          body[1] === 'x' || body[1] === 'X'
            ? parseInt(body.slice(2), 16)
            : parseInt(body.slice(1), 10);
        // NUL, surrogates and beyond Unicode are no characters: the replacement character stands in.
        if (
          !Number.isFinite(code) ||
          code === 0 ||
          code > 0x10ffff ||
          (code >= 0xd800 && code <= 0xdfff)
        )
          return '\uFFFD';
        return String.fromCodePoint(code);
      }
      return PREDEFINED[body] ?? whole;
    },
  );
}

/**
 * Text both databases store as it is, on one line: control characters and lone surrogates out,
 * runs of white space one space.
 */
export function cleanText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are what this takes out
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** Cut to `max` code units without splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function httpUrl(text: string): string | null {
  if (!text || text.length > MAX_URL) return null;
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** RFC 822 (RSS) or RFC 3339 (Atom) dates; an impossible one is null. */
function date(text: string): number | null {
  if (!text) return null;
  const t = Date.parse(text);
  return Number.isFinite(t) && t > 0 && t < 32_503_680_000_000 ? t : null;
}

function count(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
