// Writes an NZB (the newzbin DTD every Usenet client reads) for files posted by yenc.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PostedFile } from './yenc.js';

const xml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** The NZB document for `files`, in order; `title` goes into the head's meta (clients ignore it). */
export function writeNzb(files: readonly PostedFile[], title?: string): string {
  const head =
    title === undefined ? '' : `  <head><meta type="title">${xml(title)}</meta></head>\n`;
  const body = files
    .map((file) => {
      const groups = file.groups.map((g) => `      <group>${xml(g)}</group>`).join('\n');
      const segments = file.segments
        .map(
          (s) =>
            `      <segment bytes="${s.bytes}" number="${s.number}">${xml(s.messageId)}</segment>`,
        )
        .join('\n');
      return (
        `  <file poster="${xml(file.poster)}" date="${file.date}" subject="${xml(file.subject)}">\n` +
        `    <groups>\n${groups}\n    </groups>\n    <segments>\n${segments}\n    </segments>\n  </file>`
      );
    })
    .join('\n');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<!DOCTYPE nzb PUBLIC "-//newzBin//DTD NZB 1.1//EN" "http://www.newzbin.com/DTD/nzb/nzb-1.1.dtd">\n' +
    `<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb">\n${head}${body}\n</nzb>\n`
  );
}

/** A loopback HTTP server handing out NZB documents by path, as an indexer's download link does. */
export async function serveNzbs(): Promise<{
  url(name: string): string;
  put(name: string, nzb: string): void;
  /** How many times each path was fetched. */
  hits: Map<string, number>;
  close(): Promise<void>;
}> {
  const docs = new Map<string, string>();
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    hits.set(name, (hits.get(name) ?? 0) + 1);
    const doc = docs.get(name);
    if (doc === undefined) {
      res.writeHead(404).end('no such NZB');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-nzb' }).end(doc);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}?apikey=indexer-secret`,
    put: (name, nzb) => void docs.set(name, nzb),
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
