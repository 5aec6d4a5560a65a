/**
 * Real torrents of real audio for tests: an album folder of ffmpeg-made tones, a .torrent of it
 * made with mktorrent (private, announcing to the given tracker), and its info-hash as
 * transmission-show reads it (an independent reader, so SoulSpot's own bencode parser is checked
 * against it, not against itself).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTone } from '../audio.js';

const run = promisify(execFile);

export interface MadeTorrent {
  /** The .torrent file's bytes. */
  torrent: Buffer;
  file: string;
  infoHash: string;
  /** The folder (or file) the torrent describes: what a seeder seeds from `path.dirname(content)`. */
  content: string;
}

/** An album folder `dir/<album>` with one FLAC tone per title (`NN - Artist - Title.flac`). */
export async function makeAlbum(
  dir: string,
  album: string,
  artist: string,
  titles: readonly string[],
  seconds = 3,
): Promise<string> {
  const folder = path.join(dir, album);
  await mkdir(folder, { recursive: true });
  for (const [i, title] of titles.entries()) {
    const name = `${String(i + 1).padStart(2, '0')} - ${artist} - ${title}.flac`;
    await makeTone(path.join(folder, name), { seconds, format: 'flac', frequency: 300 + 60 * i });
  }
  return folder;
}

/**
 * mktorrent over `content` (a file or a folder); small pieces, so small files still make several.
 * Private by default (as most music trackers' torrents are). A magnet link needs a public one:
 * libtorrent hands a private torrent's metadata to no peer, so its magnet never resolves.
 */
export async function makeTorrent(
  content: string,
  out: string,
  announce: string,
  options: { private?: boolean } = {},
): Promise<MadeTorrent> {
  const flags = options.private === false ? [] : ['-p'];
  await run('mktorrent', [...flags, '-l', '15', '-a', announce, '-o', out, content]);
  const { stdout } = await run('transmission-show', [out]);
  const hash = /Hash(?: v1)?:\s*([0-9a-f]{40})/i.exec(stdout)?.[1];
  if (!hash) throw new Error(`no info-hash in transmission-show's output:\n${stdout}`);
  return { torrent: await readFile(out), file: out, infoHash: hash.toLowerCase(), content };
}
