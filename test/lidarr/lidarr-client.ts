import { XMLParser } from 'fast-xml-parser';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * A strict stand-in for Lidarr's side of the wire, written from its source: the requests are built
 * as SabnzbdProxy.cs, NewznabRequestGenerator.cs and NewznabCapabilitiesProvider.cs build them
 * (parameter order included), and every answer is checked for each field Lidarr reads, with the
 * types its Json.NET models and XElement readers need (SabnzbdQueueItem, SabnzbdHistoryItem,
 * SabnzbdConfig, NewznabRssParser, RssParser, NzbValidationService).
 */

export function strict<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const v = Compile(schema);
  if (v.Check(value)) return value as Static<T>;
  const problems = v
    .Errors(value)
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}`);
  throw new Error(
    `${what} is not what Lidarr reads: ${problems.join('; ')}\n${JSON.stringify(value)}`,
  );
}

/** SabnzbdDownloadStatus names (Json.NET parses the enum by name). */
const STATUSES = [
  'Grabbing',
  'Queued',
  'Paused',
  'Checking',
  'Downloading',
  'QuickCheck',
  'Verifying',
  'Repairing',
  'Fetching',
  'Extracting',
  'Moving',
  'Running',
  'Completed',
  'Failed',
  'Deleted',
  'Propagating',
];
const Status = Type.Union(STATUSES.map((s) => Type.Literal(s)));
/** A decimal Json.NET reads from a JSON number or a numeric string. */
const Decimal = Type.Union([Type.Number(), Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$' })]);
const IntLike = Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })]);

export const VersionResponse = Type.Object({
  version: Type.String({ pattern: '\\d+\\.\\d+\\.(\\d+|x)' }),
});
export const ConfigResponse = Type.Object({
  config: Type.Object({
    misc: Type.Object({
      complete_dir: Type.String({ minLength: 1 }),
      tv_categories: Type.Array(Type.String()),
      enable_tv_sorting: Type.Boolean(),
      movie_categories: Type.Array(Type.String()),
      enable_movie_sorting: Type.Boolean(),
      date_categories: Type.Array(Type.String()),
      enable_date_sorting: Type.Boolean(),
      pre_check: Type.Boolean(),
      history_retention: Type.String(),
      history_retention_option: Type.String(),
      history_retention_number: Type.Integer(),
    }),
    // Objects, not strings: Lidarr's test fails on SABnzbd < 0.7's string categories.
    categories: Type.Array(
      Type.Object({
        name: Type.String(),
        pp: Type.String(),
        script: Type.String(),
        dir: Type.String(),
        priority: Type.Integer(),
      }),
    ),
  }),
});
export const FullStatusResponse = Type.Object({
  status: Type.Object({ completedir: Type.String({ minLength: 1 }) }),
});
export const AddResponse = Type.Object({
  status: Type.Literal(true),
  nzo_ids: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
});
export const QueueResponse = Type.Object({
  queue: Type.Object({
    paused: Type.Boolean(),
    slots: Type.Array(
      Type.Object({
        nzo_id: Type.String({ minLength: 1 }),
        filename: Type.String({ minLength: 1 }),
        cat: Type.String(),
        mb: Decimal,
        mbleft: Decimal,
        percentage: IntLike,
        status: Status,
        // SabnzbdQueueTimeConverter: "h:m:s" or "d:h:m:s", integers only.
        timeleft: Type.String({ pattern: '^[0-9]+(:[0-9]+){2,3}$' }),
        priority: Type.Union(
          ['Default', 'Paused', 'Low', 'Normal', 'High', 'Force'].map((p) => Type.Literal(p)),
        ),
        index: Type.Integer(),
      }),
    ),
  }),
});
export const HistoryResponse = Type.Object({
  history: Type.Object({
    slots: Type.Array(
      Type.Object({
        nzo_id: Type.String({ minLength: 1 }),
        name: Type.String({ minLength: 1 }),
        category: Type.String(),
        status: Status,
        storage: Type.String(),
        bytes: Type.Integer({ minimum: 0 }),
        fail_message: Type.String(),
        nzb_name: Type.String(),
        download_time: Type.Integer(),
      }),
    ),
  }),
});
export const StatusResponse = Type.Object({ status: Type.Boolean() });
export const SabError = Type.Object({
  status: Type.Literal(false),
  error: Type.String({ minLength: 1 }),
});

export interface SabClient {
  /** SabnzbdProxy.BuildRequest: `api?mode=…`, the call's parameters, then apikey and output. */
  url(mode: string, params?: Record<string, string | number>): string;
  get<T extends TSchema>(
    schema: T,
    mode: string,
    params?: Record<string, string | number>,
  ): Promise<Static<T>>;
  /** DownloadNzb: POST addfile with cat and priority in the query, the NZB as form file "name". */
  addFile(nzb: string, filename: string, category: string, priority: number): Promise<unknown>;
}

export function sabClient(base: string, apiKey: string): SabClient {
  const url = (mode: string, params: Record<string, string | number> = {}) => {
    const q = [
      `mode=${mode}`,
      ...Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`),
    ];
    q.push(`apikey=${encodeURIComponent(apiKey)}`, 'output=json');
    return `${base}/sabnzbd/api?${q.join('&')}`;
  };
  return {
    url,
    async get(schema, mode, params) {
      const res = await fetch(url(mode, params), { headers: { accept: 'application/json' } });
      const body: unknown = await res.json();
      if (res.status !== 200)
        throw new Error(`${mode}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return strict(schema, body, `mode=${mode}`);
    },
    async addFile(nzb, filename, category, priority) {
      const form = new FormData();
      form.append('name', new Blob([nzb], { type: 'application/x-nzb' }), filename);
      const res = await fetch(url('addfile', { cat: category, priority }), {
        method: 'POST',
        body: form,
      });
      return res.json();
    },
  };
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['item', 'newznab:attr', 'category', 'subcat', 'file', 'meta'].includes(name),
});

/** NewznabCapabilitiesProvider.ParseCapabilities, as far as Lidarr's search and test need it. */
export function parseCaps(text: string) {
  const doc = xml.parse(text) as { caps?: Record<string, never> };
  const caps = doc.caps as
    | {
        limits?: { '@_max': string; '@_default': string };
        searching: Record<string, { '@_available': string; '@_supportedParams'?: string }>;
        categories: {
          category: {
            '@_id': string;
            '@_name': string;
            subcat?: { '@_id': string; '@_name': string }[];
          }[];
        };
      }
    | undefined;
  if (!caps) throw new Error('caps: no <caps> root');
  const params = (name: string) => {
    const s = caps.searching[name];
    return s && s['@_available'] === 'yes' ? (s['@_supportedParams'] ?? '').split(',') : null;
  };
  const limits = caps.limits
    ? { max: parseInt(caps.limits['@_max'], 10), def: parseInt(caps.limits['@_default'], 10) }
    : null;
  const categories = caps.categories.category.map((c) => ({
    id: parseInt(c['@_id'], 10),
    name: c['@_name'],
    subcats: (c.subcat ?? []).map((s) => ({ id: parseInt(s['@_id'], 10), name: s['@_name'] })),
  }));
  for (const c of [...categories, ...categories.flatMap((c) => c.subcats)])
    if (!Number.isInteger(c.id) || !c.name) throw new Error('caps: a category without id or name');
  return { search: params('search'), audio: params('audio-search'), limits, categories };
}

export interface ParsedRelease {
  guid: string;
  title: string;
  downloadUrl: string;
  size: number;
  publishDate: Date;
  artist: string;
  album: string;
  attrs: Record<string, string[]>;
}

/** NewznabRssParser + RssParser: the fields Lidarr builds a ReleaseInfo from. */
export function parseFeed(text: string): ParsedRelease[] {
  const doc = xml.parse(text) as Record<string, unknown>;
  if ('error' in doc) throw new Error(`feed: newznab error ${JSON.stringify(doc.error)}`);
  const rss = doc.rss as
    { '@_xmlns:newznab'?: string; channel?: { item?: Record<string, unknown>[] } } | undefined;
  if (!rss?.channel) throw new Error('feed: no rss/channel');
  if (rss['@_xmlns:newznab'] !== 'http://www.newznab.com/DTD/2010/feeds/attributes/')
    throw new Error('feed: newznab:attr is not in the newznab namespace Lidarr reads');
  return (rss.channel.item ?? []).map((item) => {
    const enclosure = item.enclosure as
      { '@_url': string; '@_length': string; '@_type': string } | undefined;
    if (!enclosure) throw new Error('feed: an item without an enclosure');
    if (enclosure['@_type'] !== 'application/x-nzb')
      throw new Error('feed: the enclosure is not application/x-nzb');
    const attrs: Record<string, string[]> = {};
    for (const a of (item['newznab:attr'] as
      { '@_name': string; '@_value': string }[] | undefined) ?? [])
      (attrs[a['@_name'].toLowerCase()] ??= []).push(String(a['@_value']));
    const pubDate = String(item.pubDate ?? '');
    const publishDate = new Date(pubDate);
    if (!pubDate || Number.isNaN(publishDate.getTime()))
      throw new Error('feed: an item without a valid pubDate');
    const sizeAttr = attrs.size?.[0];
    const size = sizeAttr !== undefined ? Number(sizeAttr) : Number(enclosure['@_length']);
    if (!Number.isSafeInteger(size)) throw new Error('feed: an item whose size does not parse');
    const guid = item.guid as string | { '#text': string };
    return {
      guid: typeof guid === 'string' ? guid : guid['#text'],
      title: String(item.title),
      downloadUrl: enclosure['@_url'],
      size,
      publishDate,
      artist: attrs.artist?.[0] ?? '',
      album: attrs.album?.[0] ?? '',
      attrs,
    };
  });
}

/** NzbValidationService.Validate: an `<nzb>` root with at least one `<file>`. */
export function validateNzb(text: string): void {
  const doc = xml.parse(text) as { nzb?: { file?: unknown[] }; error?: unknown };
  if (doc.error) throw new Error('Invalid NZB: Contains indexer error');
  if (!doc.nzb) throw new Error('Invalid NZB: Unexpected root element');
  if (!doc.nzb.file || doc.nzb.file.length === 0) throw new Error('Invalid NZB: No files');
}

/** What Lidarr's Newznab indexer sends for an album search (AddAudioPageableRequests). */
export function musicSearchUrl(
  base: string,
  apiKey: string,
  artist: string,
  album: string,
  page = 0,
): string {
  const esc = (s: string) => encodeURIComponent(s.replaceAll('+', ' '));
  return `${base}/newznab/api?t=music&cat=3000,3010,3030,3040&extended=1&apikey=${apiKey}&offset=${page * 100}&limit=100&q=&artist=${esc(artist)}&album=${esc(album)}`;
}

/** The RSS request of Lidarr's connection test (GetRecentRequests' first page). */
export function recentUrl(base: string, apiKey: string): string {
  return `${base}/newznab/api?t=music&cat=3000,3010,3030,3040&extended=1&apikey=${apiKey}&offset=0&limit=100`;
}
