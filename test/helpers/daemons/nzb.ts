// Writes an NZB (the newzbin DTD every Usenet client reads) for files posted by yenc.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTone } from '../audio.js';
import { missingSegment, postYenc, type PostedFile } from './yenc.js';

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

// ---------------------------------------------------------------------------------------------
// A posted album: real FLAC tones on the local INN, and NZBs of it served like indexer links
// ---------------------------------------------------------------------------------------------

export interface PostedTrack {
  /** The file name as posted, e.g. `01 - Test Artist - Alpha.flac`. */
  name: string;
  title: string;
  data: Buffer;
  file: PostedFile;
}

export interface UsenetAlbum {
  artist: string;
  album: string;
  tracks: PostedTrack[];
  nzbs: Awaited<ReturnType<typeof serveNzbs>>;
  /** NZB of `tracks[i]` alone. */
  single(i: number): string;
  /** NZB of every track (a multi-file release). */
  whole(): string;
  /** NZB of `tracks[i]` with its last article replaced by one never posted. */
  broken(i: number): string;
  close(): Promise<void>;
}

/**
 * Three real FLAC tones (ffmpeg), posted as yEnc to `inn` in small parts (so one missing article
 * is a part of a file, not all of it), with NZB documents served on loopback.
 */
export async function postAlbum(
  inn: { port: number },
  options: { artist?: string; album?: string } = {},
): Promise<UsenetAlbum> {
  const artist = options.artist ?? 'Test Artist';
  const album = options.album ?? 'Test Album';
  const dir = await mkdtemp(path.join(tmpdir(), 'soulspot-album-'));
  const titles = ['Alpha', 'Beta', 'Gamma'];
  const tracks: PostedTrack[] = [];
  for (const [i, title] of titles.entries()) {
    const name = `0${i + 1} - ${artist} - ${title}.flac`;
    const file = path.join(dir, name);
    await makeTone(file, { seconds: 4, frequency: 330 + 110 * i, format: 'flac' });
    const data = await readFile(file);
    tracks.push({
      name,
      title,
      data,
      file: await postYenc(name, data, { port: inn.port, partSize: 20_000 }),
    });
  }
  await rm(dir, { recursive: true, force: true });
  const nzbs = await serveNzbs();
  const label = `${artist} - ${album}`;
  return {
    artist,
    album,
    tracks,
    nzbs,
    single: (i) => writeNzb([tracks[i]!.file], label),
    whole: () =>
      writeNzb(
        tracks.map((t) => t.file),
        label,
      ),
    broken(i) {
      const file = tracks[i]!.file;
      const last = file.segments.at(-1)!;
      return writeNzb(
        [
          {
            ...file,
            segments: [...file.segments.slice(0, -1), missingSegment(last.number, last.bytes)],
          },
        ],
        label,
      );
    },
    close: () => nzbs.close(),
  };
}
