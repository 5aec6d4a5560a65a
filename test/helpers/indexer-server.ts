import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small real Torznab/Newznab indexer on 127.0.0.1 (port 0), for tests and benches: it serves
 * `t=caps`, `t=search` and `t=music` (filtered by the words asked, by category, paged with
 * offset/limit) from the releases you give it, checks `apikey` and answers a wrong one with the
 * real error document, and serves files at `/dl/<name>` (a .torrent or an .nzb behind a release's
 * link). It can be told to fail, and counts what it was asked.
 *
 *   const ix = await startIndexerServer({ dialect: 'torznab', apiKey: 'k', releases: [...] });
 *   ix.apiUrl                       // http://127.0.0.1:PORT/api: the indexer URL to configure
 *   ix.addFile('a.torrent', bytes)  // then link: ix.fileUrl('a.torrent')
 *   ix.fail({ status: 500 }, 2)     // the next 2 API requests fail; fail(null) stops failing
 *   ix.requests                     // every API request: { t, params, at }
 *   await ix.close()
 *
 * Error documents are sent with HTTP 200, as Newznab indexers do (Torznab proxies too, mostly).
 */

export interface ServedRelease {
  title: string;
  /** Default: the title. */
  guid?: string;
  size: number;
  /** Torznab only. */
  seeders?: number;
  peers?: number;
  infohash?: string;
  grabs?: number;
  /** Default [3000]. */
  categories?: number[];
  /** Epoch ms. */
  publishedAt?: number;
  /** What `t=music&artist=` / `album=` match, besides the title. */
  artist?: string;
  album?: string;
  /**
   * The download link: an absolute URL or a magnet link, or a file name served at /dl/. Default:
   * /dl/<guid>.
   */
  link?: string;
  /** Torznab: also announce a magnet link (from `infohash`). */
  magnet?: boolean;
}

export type FailMode =
  | { status: number; retryAfterSeconds?: number }
  | { timeout: true }
  | { errorCode: number; description: string };

export interface IndexerServerOptions {
  dialect: 'torznab' | 'newznab';
  /** The key it requires; absent: any or none. */
  apiKey?: string;
  releases?: ServedRelease[];
  /** `music-search` supportedParams; false: no music search. Default ['q', 'artist', 'album']. */
  musicSearch?: string[] | false;
  /** `limits max` (and the largest page it sends). Default 100. */
  limitsMax?: number;
  /** Every API answer waits this long first. */
  delayMs?: number;
}

export interface ApiRequest {
  t: string;
  params: Record<string, string>;
  /** Epoch ms it arrived: which of several sources was asked first. */
  at: number;
}

export interface IndexerServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The Torznab/Newznab endpoint: `${url}/api`. */
  apiUrl: string;
  requests: ApiRequest[];
  /** API requests per `t` value. */
  count(t: string): number;
  /** File downloads served at /dl/. */
  downloads: string[];
  setReleases(releases: ServedRelease[]): void;
  addFile(name: string, bytes: Buffer | string): void;
  fileUrl(name: string): string;
  /** Makes the next `times` API requests fail (default: until `fail(null)`). */
  fail(mode: FailMode | null, times?: number): void;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const esc = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const words = (s: string): string[] =>
  s
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');

function matches(text: string, query: string | undefined): boolean {
  if (!query) return true;
  const have = new Set(words(text));
  return words(query).every((w) => have.has(w));
}

function inCategories(release: ServedRelease, cat: string | undefined): boolean {
  if (!cat) return true;
  const wanted = cat.split(',').map(Number);
  const own = release.categories ?? [3000];
  return own.some((c) => wanted.includes(c) || wanted.includes(Math.floor(c / 1000) * 1000));
}

export async function startIndexerServer(options: IndexerServerOptions): Promise<IndexerServer> {
  let releases = options.releases ?? [];
  let delayMs = options.delayMs ?? 0;
  let failure: { mode: FailMode; left: number } | null = null;
  const files = new Map<string, Buffer>();
  const requests: ApiRequest[] = [];
  const downloads: string[] = [];
  const sockets = new Set<Socket>();
  const limitsMax = options.limitsMax ?? 100;
  const music = options.musicSearch ?? ['q', 'artist', 'album'];
  const torznab = options.dialect === 'torznab';
  const ns = torznab ? 'torznab' : 'newznab';
  let base = '';

  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const xml = (res: ServerResponse, body: string, status = 200): void =>
    send(
      res,
      status,
      `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
      'application/xml; charset=utf-8',
    );
  const errorDoc = (res: ServerResponse, code: number, description: string): void =>
    xml(res, `<error code="${code}" description="${esc(description)}"/>`);

  function caps(): string {
    const musicLine =
      music === false
        ? '<music-search available="no" supportedParams="q"/>'
        : `<music-search available="yes" supportedParams="${music.join(',')}"/>`;
    return `<caps><server title="SoulSpot test ${ns}"/><limits default="${Math.min(50, limitsMax)}" max="${limitsMax}"/>
<searching><search available="yes" supportedParams="q"/>${musicLine}</searching>
<categories><category id="3000" name="Audio"><subcat id="3010" name="Audio/MP3"/><subcat id="3040" name="Audio/Lossless"/></category></categories></caps>`;
  }

  function item(r: ServedRelease): string {
    const guid = r.guid ?? r.title;
    const link =
      r.link?.includes('://') || r.link?.startsWith('magnet:')
        ? r.link
        : `${base}/dl/${encodeURIComponent(r.link ?? guid)}`;
    const date = new Date(r.publishedAt ?? Date.UTC(2025, 0, 1)).toUTCString();
    const a = (name: string, value: string | number): string =>
      `<${ns}:attr name="${name}" value="${esc(String(value))}"/>`;
    const attrs = [
      ...(r.categories ?? [3000]).map((c) => a('category', c)),
      a('size', r.size),
      ...(r.grabs !== undefined ? [a('grabs', r.grabs)] : []),
      ...(torznab
        ? [
            ...(r.seeders !== undefined ? [a('seeders', r.seeders)] : []),
            ...(r.peers !== undefined ? [a('peers', r.peers)] : []),
            ...(r.infohash ? [a('infohash', r.infohash)] : []),
            ...(r.magnet && r.infohash
              ? [
                  a(
                    'magneturl',
                    `magnet:?xt=urn:btih:${r.infohash}&dn=${encodeURIComponent(r.title)}`,
                  ),
                ]
              : []),
          ]
        : [a('usenetdate', date)]),
    ];
    const type = torznab ? 'application/x-bittorrent' : 'application/x-nzb';
    return `<item><title>${esc(r.title)}</title><guid isPermaLink="false">${esc(guid)}</guid><link>${esc(link)}</link><pubDate>${date}</pubDate><size>${r.size}</size><enclosure url="${esc(link)}" length="${r.size}" type="${type}"/>${attrs.join('')}</item>`;
  }

  function search(res: ServerResponse, t: string, p: Record<string, string>): void {
    const found = releases.filter((r) => {
      if (!inCategories(r, p.cat)) return false;
      if (t === 'music') {
        return (
          matches(`${r.artist ?? ''} ${r.title}`, p.artist) &&
          matches(`${r.album ?? ''} ${r.title}`, p.album) &&
          matches(r.title, p.q)
        );
      }
      return matches(r.title, p.q);
    });
    const offset = Math.max(0, Number(p.offset) || 0);
    const limit = Math.min(limitsMax, Math.max(1, Number(p.limit) || limitsMax));
    const page = found.slice(offset, offset + limit);
    xml(
      res,
      `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:${ns}="${torznab ? 'http://torznab.com/schemas/2015/feed' : 'http://www.newznab.com/DTD/2010/feeds/attributes/'}"><channel><title>test</title><${ns}:response offset="${offset}" total="${found.length}"/>${page.map(item).join('')}</channel></rss>`,
    );
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = Object.fromEntries(url.searchParams.entries());
    const t = params.t ?? '';
    requests.push({ t, params, at: Date.now() });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (failure) {
      const { mode } = failure;
      if (--failure.left <= 0) failure = null;
      if ('timeout' in mode) return; // never answers; close() ends the socket
      if ('errorCode' in mode) return errorDoc(res, mode.errorCode, mode.description);
      if (mode.retryAfterSeconds !== undefined) {
        res.setHeader('retry-after', String(mode.retryAfterSeconds));
      }
      return send(res, mode.status, `failure ${mode.status}`, 'text/plain');
    }
    if (options.apiKey !== undefined && params.apikey !== options.apiKey) {
      return errorDoc(res, 100, 'Incorrect user credentials');
    }
    if (t === 'caps') return xml(res, caps());
    if (t === 'search' || (t === 'music' && music !== false)) return search(res, t, params);
    return errorDoc(res, 202, 'No such function');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api' || url.pathname === '/api/') {
      void api(req, res, url).catch(() => res.destroy());
      return;
    }
    if (url.pathname.startsWith('/dl/')) {
      const name = decodeURIComponent(url.pathname.slice(4));
      const bytes = files.get(name);
      downloads.push(name);
      if (!bytes) return send(res, 404, 'not found', 'text/plain');
      const type = name.endsWith('.nzb')
        ? 'application/x-nzb'
        : name.endsWith('.torrent')
          ? 'application/x-bittorrent'
          : 'application/octet-stream';
      return send(res, 200, bytes, type);
    }
    send(res, 404, 'not found', 'text/plain');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    apiUrl: `${base}/api`,
    requests,
    count: (t) => requests.filter((r) => r.t === t).length,
    downloads,
    setReleases: (list) => {
      releases = list;
    },
    addFile: (name, bytes) => {
      files.set(name, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    },
    fileUrl: (name) => `${base}/dl/${encodeURIComponent(name)}`,
    fail: (mode, times = Number.POSITIVE_INFINITY) => {
      failure = mode ? { mode, left: times } : null;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The environment for one Torznab indexer at `apiUrl` (key `k`) whose releases would go to a
 * qBittorrent that is never reached (nothing listed, nothing sent): for tests where the indexer
 * is searched and has nothing.
 */
export function emptyIndexerEnv(apiUrl: string, id = 'empty'): Record<string, string> {
  return {
    SOULSPOT_INDEXERS: JSON.stringify([
      {
        id,
        url: apiUrl,
        apiKey: 'k',
        protocol: 'torrent',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    ]),
    SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
      { type: 'qbittorrent', url: 'http://127.0.0.1:9', username: 'u', password: 'p' },
    ]),
  };
}
