import { XMLBuilder } from 'fast-xml-parser';
import { xmlSafe } from './nzb.js';

/**
 * The XML of SoulSpot's Newznab endpoint (pure): `t=caps` and the RSS 2.0 feed with the newznab
 * namespace that Lidarr's NewznabCapabilitiesProvider.cs and NewznabRssParser.cs read. Every text
 * goes through fast-xml-parser's builder, which escapes it (titles hold peer folder names), and
 * through xmlSafe, which drops the characters XML cannot carry at all.
 */

export const NEWZNAB_NS = 'http://www.newznab.com/DTD/2010/feeds/attributes/';
/** Newznab's audio categories: Audio, Audio/MP3, Audio/Lossless (and Audio/Other for the rest). */
export const CATEGORIES = { audio: 3000, mp3: 3010, other: 3030, lossless: 3040 } as const;
/** Items answered per page at most; Lidarr pages while a page is full (PageSize 100). */
export const PAGE_SIZE = 100;

const LOSSLESS = new Set(['flac', 'alac', 'wav', 'aiff', 'aif', 'ape', 'wv']);

export function categoryOf(format: string): number {
  if (LOSSLESS.has(format)) return CATEGORIES.lossless;
  if (format === 'mp3') return CATEGORIES.mp3;
  return CATEGORIES.other;
}

/** One item of the feed: a complete album folder at one source, or the placeholder. */
export interface FeedItem {
  title: string;
  /** Stable per release (a hash of its token). */
  guid: string;
  /** The NZB's URL (the enclosure Lidarr downloads). */
  link: string;
  size: number;
  category: number;
  pubDate: number;
  /** newznab:attr name → value, besides category and size. */
  attrs: Record<string, string | number>;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  suppressEmptyNode: true,
});

const declaration = { '@_version': '1.0', '@_encoding': 'utf-8' };

/** `t=caps`: audio search by q, artist and album; plain search by q; the audio categories. */
export function capsXml(): string {
  return builder.build({
    '?xml': declaration,
    caps: {
      server: {
        '@_version': '1.0',
        '@_title': 'SoulSpot',
        '@_strapline': 'Soulseek through slskd',
      },
      limits: { '@_max': PAGE_SIZE, '@_default': PAGE_SIZE },
      registration: { '@_available': 'no', '@_open': 'no' },
      searching: {
        search: { '@_available': 'yes', '@_supportedParams': 'q' },
        'tv-search': { '@_available': 'no', '@_supportedParams': 'q' },
        'movie-search': { '@_available': 'no', '@_supportedParams': 'q' },
        'audio-search': { '@_available': 'yes', '@_supportedParams': 'q,artist,album' },
        'book-search': { '@_available': 'no', '@_supportedParams': 'q' },
      },
      categories: {
        category: {
          '@_id': CATEGORIES.audio,
          '@_name': 'Audio',
          subcat: [
            { '@_id': CATEGORIES.mp3, '@_name': 'MP3' },
            { '@_id': CATEGORIES.other, '@_name': 'Other' },
            { '@_id': CATEGORIES.lossless, '@_name': 'Lossless' },
          ],
        },
      },
    },
  }) as string;
}

/** RFC 822, which Lidarr's XElementExtensions.ParseDate reads. */
function rfc822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/** The feed; `offset` and `total` go to newznab:response as Newznab servers send them. */
export function rssXml(items: readonly FeedItem[], offset: number, total: number): string {
  return builder.build({
    '?xml': declaration,
    rss: {
      '@_version': '2.0',
      '@_xmlns:atom': 'http://www.w3.org/2005/Atom',
      '@_xmlns:newznab': NEWZNAB_NS,
      channel: {
        title: 'SoulSpot',
        description: 'SoulSpot: albums found on Soulseek, ranked',
        link: 'https://github.com/soulspot',
        language: 'en-us',
        'newznab:response': { '@_offset': offset, '@_total': total },
        item: items.map((item) => ({
          title: xmlSafe(item.title),
          guid: { '@_isPermaLink': 'false', '#text': item.guid },
          link: item.link,
          pubDate: rfc822(item.pubDate),
          category: String(item.category),
          enclosure: { '@_url': item.link, '@_length': item.size, '@_type': 'application/x-nzb' },
          'newznab:attr': [
            { '@_name': 'category', '@_value': CATEGORIES.audio },
            { '@_name': 'category', '@_value': item.category },
            { '@_name': 'size', '@_value': item.size },
            ...Object.entries(item.attrs).map(([name, value]) => ({
              '@_name': name,
              '@_value': typeof value === 'string' ? xmlSafe(value) : value,
            })),
          ],
        })),
      },
    },
  }) as string;
}

/** A Newznab error document (NewznabRssParser.CheckError: codes 100–199 are key problems). */
export function errorXml(code: number, description: string): string {
  return builder.build({
    '?xml': declaration,
    error: { '@_code': code, '@_description': xmlSafe(description) },
  }) as string;
}

/** Whether an item of `category` answers a request for `wanted` (none asked: all). */
export function inCategories(category: number, wanted: readonly number[]): boolean {
  if (wanted.length === 0) return true;
  return wanted.includes(category) || wanted.includes(CATEGORIES.audio);
}
