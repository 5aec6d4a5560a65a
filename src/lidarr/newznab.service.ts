import type { SearchService } from '../search/search.service.js';
import {
  capsXml,
  categoryOf,
  CATEGORIES,
  inCategories,
  rssXml,
  type FeedItem,
} from './newznab.feed.js';
import { folderReleases, releaseFeedTitle } from './newznab.releases.js';
import { buildNzb, NzbError, releaseKey, signRelease, verifyRelease } from './nzb.js';
import { releaseTitle } from './sab.service.js';

/**
 * SoulSpot as a Newznab indexer for Lidarr: `t=caps`, and `t=music` / `t=search` answered from a
 * live search at slskd ranked by SoulSpot (the manual search's service: the same profile, blocked
 * sources and peer records), one item per complete album folder, each with an NZB that names it.
 */

export interface NewznabRequest {
  t: 'music' | 'search';
  q?: string | undefined;
  artist?: string | undefined;
  album?: string | undefined;
  year?: number | undefined;
  cat: number[];
  offset: number;
  /** `{scheme}://{host}` as Lidarr addressed SoulSpot, for the enclosure links. */
  origin: string;
  apiKey: string;
}

/** The search could not run (slskd down, searches busy): a Newznab error, not an empty feed. */
export class NewznabSearchError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'NewznabSearchError';
  }
}

export interface NewznabServiceDeps {
  search: Pick<SearchService, 'search'>;
  /** The key NZBs are signed with (SoulSpot's API key). */
  signingKey: string;
  now: () => number;
}

/** The placeholder's guid: Lidarr's connection test needs one item for a query without words. */
export const PLACEHOLDER_GUID = 'soulspot-placeholder';

export function createNewznabService(deps: NewznabServiceDeps) {
  const link = (req: NewznabRequest, id: string) =>
    `${req.origin}/newznab/api?t=get&id=${encodeURIComponent(id)}&apikey=${encodeURIComponent(req.apiKey)}`;

  /**
   * Not a release: its title parses as no album (Lidarr's RSS sync rejects it as unparsable) and
   * its NZB does not exist (t=get answers 404).
   */
  function placeholder(req: NewznabRequest): FeedItem {
    return {
      title: 'SoulSpot answers searches only: this item is a placeholder',
      guid: PLACEHOLDER_GUID,
      link: link(req, PLACEHOLDER_GUID),
      size: 1,
      category: CATEGORIES.audio,
      pubDate: deps.now(),
      attrs: {},
    };
  }

  return {
    caps: capsXml,

    async feed(req: NewznabRequest): Promise<string> {
      const artist = req.artist?.trim() || null;
      const album = req.album?.trim() || null;
      const q = req.q?.trim() || null;
      const text = [artist, album].filter(Boolean).join(' ') || q;
      // No words (the RSS sync, the connection test): nothing to search for live.
      if (!text) return rssXml(req.offset === 0 ? [placeholder(req)] : [], req.offset, 1);
      // Every release is on the first page (fewer than a page, so Lidarr asks for no second).
      if (req.offset > 0) return rssXml([], req.offset, 0);
      let result;
      try {
        result = await deps.search.search({ query: text, limit: 200 });
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        const message = error instanceof Error ? error.message : String(error);
        // "Request limit reached" is the description Lidarr backs off on (NewznabRssParser.cs).
        if (status === 429) throw new NewznabSearchError(500, 'Request limit reached');
        if (status === 400) return rssXml([], 0, 0);
        throw new NewznabSearchError(900, message);
      }
      const releases = folderReleases(result, {
        artist: artist && album ? artist : null,
        album: artist && album ? album : null,
        year: req.year ?? null,
      });
      const t = deps.now();
      const items: FeedItem[] = releases
        .map((r) => {
          const token = signRelease(r, deps.signingKey);
          return {
            title: releaseFeedTitle(r),
            guid: `soulspot-${releaseKey(token).slice(0, 32)}`,
            link: link(req, token),
            size: r.size,
            category: categoryOf(r.format),
            pubDate: t,
            attrs: {
              artist: r.artist,
              album: r.album,
              ...(r.year ? { year: r.year } : {}),
              format: r.format,
              ...(r.bitRate ? { bitrate: r.bitRate } : {}),
              files: r.files,
              grabs: 0,
              poster: r.username,
            },
          };
        })
        .filter((item) => inCategories(item.category, req.cat));
      return rssXml(items, 0, items.length);
    },

    /** `t=get&id=<token>`: the NZB of a release this SoulSpot signed. */
    nzb(id: string): { title: string; xml: string } {
      if (id === PLACEHOLDER_GUID) throw new NzbError('the placeholder has no NZB');
      const release = verifyRelease(id, deps.signingKey);
      const title = releaseTitle(release);
      return { title, xml: buildNzb(title, id, deps.now()) };
    },
  };
}

export type NewznabService = ReturnType<typeof createNewznabService>;
