import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback feed server for the feeds tests and benchmark: each path serves an RSS 2.0 or Atom
 * 1.0 document of the entries it is given, with an ETag (RSS) or Last-Modified (Atom) validator,
 * and answers 304 to a request that sends the current one back. Counts what it answered.
 */
export interface ServedEntry {
  id: string;
  title: string;
}

export interface ServedFeed {
  format: 'rss' | 'atom';
  entries: ServedEntry[];
  /** Answer this status instead of the document (a failing feed). */
  status?: number;
  /** Pad the document to this many bytes (an oversized feed). */
  padTo?: number;
  /** Never answer (a server that hangs). */
  hang?: boolean;
  /** Serve this text as the document instead (a broken feed). */
  raw?: string;
  /** Send no validators (a server without conditional GET). */
  noValidators?: boolean;
}

export interface FeedServer {
  url: string;
  port: number;
  feeds: Map<string, ServedFeed>;
  /** Per path: requests, 304s, and the conditional headers of the last request. */
  stats: Map<string, { requests: number; notModified: number; lastConditional: string | null }>;
  close(): Promise<void>;
}

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderFeed(feed: ServedFeed): string {
  if (feed.format === 'atom') {
    const entries = feed.entries
      .map(
        (e, i) =>
          `<entry><id>${esc(e.id)}</id><title>${esc(e.title)}</title><link rel="alternate" href="https://label.example/r/${i}"/><updated>2024-05-0${(i % 9) + 1}T10:00:00Z</updated></entry>`,
      )
      .join('');
    return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Label</title><id>urn:label</id>${entries}</feed>`;
  }
  const items = feed.entries
    .map(
      (e) =>
        `<item><title>${esc(e.title)}</title><guid isPermaLink="false">${esc(e.id)}</guid><link>https://indexer.example/details/${encodeURIComponent(e.id)}</link><pubDate>Mon, 06 May 2024 10:00:00 GMT</pubDate><enclosure url="https://indexer.example/dl/${encodeURIComponent(e.id)}.torrent" length="1000" type="application/x-bittorrent"/></item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Indexer</title>${items}</channel></rss>`;
}

export async function startFeedServer(): Promise<FeedServer> {
  const feeds = new Map<string, ServedFeed>();
  const stats: FeedServer['stats'] = new Map();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const stat = stats.get(path) ?? { requests: 0, notModified: 0, lastConditional: null };
    stats.set(path, stat);
    stat.requests++;
    const feed = feeds.get(path);
    if (!feed) return void res.writeHead(404).end();
    if (feed.hang) return;
    if (feed.status) return void res.writeHead(feed.status).end('no');
    let body = feed.raw ?? renderFeed(feed);
    if (feed.padTo && body.length < feed.padTo)
      body = body.replace(
        '</channel>',
        `<!-- ${'x'.repeat(feed.padTo - body.length)} --></channel>`,
      );
    const version = createHash('sha1').update(body).digest('hex').slice(0, 16);
    const etag = `"${version}"`;
    // The document's "modification time": a fixed date per content, as a static server sends.
    const lastModified = new Date(
      Date.UTC(2024, 0, 1) + parseInt(version.slice(0, 8), 16) * 1000,
    ).toUTCString();
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    stat.lastConditional = inm ? `if-none-match: ${inm}` : ims ? `if-modified-since: ${ims}` : null;
    const validators: Record<string, string> = feed.noValidators
      ? {}
      : feed.format === 'rss'
        ? { etag }
        : { 'last-modified': lastModified };
    if (
      !feed.noValidators &&
      ((feed.format === 'rss' && inm === etag) || (feed.format === 'atom' && ims === lastModified))
    ) {
      stat.notModified++;
      return void res.writeHead(304, validators).end();
    }
    res.writeHead(200, {
      'content-type':
        feed.format === 'rss' ? 'application/rss+xml; charset=utf-8' : 'application/atom+xml',
      ...validators,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    feeds,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
