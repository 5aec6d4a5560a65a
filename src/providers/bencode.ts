import { createHash } from 'node:crypto';

/**
 * A small bencode reader (BEP 3), enough to read a .torrent an indexer served: its v1 info-hash
 * (SHA-1 of the exact bytes of the `info` dictionary, so they are hashed as found, never
 * re-encoded) and its file list. Pure (hashing is computation, not I/O). Untrusted input: the
 * nesting depth and every length are bounded, and a malformed document throws BencodeError.
 */

export type BValue = number | Buffer | BValue[] | BDict;
export interface BDict {
  [key: string]: BValue;
}

export class BencodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BencodeError';
  }
}

const MAX_DEPTH = 64;
const COLON = 0x3a;

interface Span {
  value: BValue;
  end: number;
}

/** Decodes one value at `at`; `onInfo` is handed the byte span of the top-level `info` value. */
function decodeAt(
  buf: Buffer,
  at: number,
  depth: number,
  onKey?: (key: string, start: number, end: number) => void,
): Span {
  if (depth > MAX_DEPTH) throw new BencodeError('bencode nested too deeply');
  const c = buf[at];
  if (c === undefined) throw new BencodeError('bencode ends early');
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(0x65 /* e */, at + 1);
    if (end < 0) throw new BencodeError('unterminated integer');
    const text = buf.toString('latin1', at + 1, end);
    if (!/^(0|-?[1-9]\d{0,15})$/.test(text)) throw new BencodeError(`bad integer "${text}"`);
    return { value: Number(text), end: end + 1 };
  }
  if (c === 0x6c /* l */) {
    const list: BValue[] = [];
    let pos = at + 1;
    while (buf[pos] !== 0x65) {
      const item = decodeAt(buf, pos, depth + 1);
      list.push(item.value);
      pos = item.end;
    }
    return { value: list, end: pos + 1 };
  }
  if (c === 0x64 /* d */) {
    const dict: BDict = Object.create(null) as BDict;
    let pos = at + 1;
    while (buf[pos] !== 0x65) {
      const key = decodeAt(buf, pos, depth + 1);
      if (!Buffer.isBuffer(key.value)) throw new BencodeError('dictionary key is not a string');
      const name = key.value.toString('utf8');
      const item = decodeAt(buf, key.end, depth + 1);
      onKey?.(name, key.end, item.end);
      dict[name] = item.value;
      pos = item.end;
    }
    return { value: dict, end: pos + 1 };
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(COLON, at);
    if (colon < 0 || colon - at > 10) throw new BencodeError('bad string length');
    const text = buf.toString('latin1', at, colon);
    if (!/^(0|[1-9]\d*)$/.test(text)) throw new BencodeError(`bad string length "${text}"`);
    const length = Number(text);
    const start = colon + 1;
    if (start + length > buf.length) throw new BencodeError('string runs past the end');
    return { value: buf.subarray(start, start + length), end: start + length };
  }
  throw new BencodeError(`unexpected byte 0x${c.toString(16)} at ${at}`);
}

/** Decodes a whole document (trailing bytes refused). */
export function decodeBencode(buf: Buffer): BValue {
  const { value, end } = decodeAt(buf, 0, 0);
  if (end !== buf.length) throw new BencodeError('trailing bytes after the bencoded value');
  return value;
}

export interface TorrentFileEntry {
  /** Path inside the torrent, `/`-separated, the torrent's name first for a multi-file torrent. */
  path: string;
  size: number;
}

export interface TorrentMeta {
  /** Lower-case hex SHA-1 of the `info` dictionary's bytes (v1). */
  infoHash: string;
  name: string;
  files: TorrentFileEntry[];
}

const text = (v: BValue | undefined): string | null =>
  Buffer.isBuffer(v) ? v.toString('utf8') : null;
const isDict = (v: BValue | undefined): v is BDict =>
  v !== undefined && typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v);

/** Reads a .torrent: its info-hash, name and files. Throws BencodeError when it is not one. */
export function readTorrent(buf: Buffer): TorrentMeta {
  let span: [number, number] | null = null;
  const { value, end } = decodeAt(buf, 0, 0, (key, start, stop) => {
    // Only the top level's `info` (depth is 0 there: nested dictionaries pass no callback).
    if (key === 'info') span = [start, stop];
  });
  if (end !== buf.length) throw new BencodeError('trailing bytes after the torrent');
  if (!isDict(value) || !isDict(value.info) || span === null) {
    throw new BencodeError('not a torrent: no info dictionary');
  }
  const [from, to] = span as [number, number];
  const info = value.info;
  const name = text(info['name.utf-8']) ?? text(info.name);
  if (name === null) throw new BencodeError('not a torrent: the info dictionary has no name');
  const files: TorrentFileEntry[] = [];
  if (Array.isArray(info.files)) {
    for (const f of info.files) {
      if (!isDict(f) || typeof f.length !== 'number') throw new BencodeError('bad file entry');
      const parts = f['path.utf-8'] ?? f.path;
      if (!Array.isArray(parts)) throw new BencodeError('file entry without a path');
      files.push({
        path: [name, ...parts.map((p) => text(p) ?? '')].join('/'),
        size: f.length,
      });
    }
  } else if (typeof info.length === 'number') {
    files.push({ path: name, size: info.length });
  } else {
    throw new BencodeError('not a torrent: neither files nor length');
  }
  return {
    infoHash: createHash('sha1').update(buf.subarray(from, to)).digest('hex'),
    name,
    files,
  };
}

/** The v1 info-hash of a magnet link (`xt=urn:btih:`, hex or base32), lower-case hex; null if none. */
export function magnetInfoHash(link: string): string | null {
  if (!link.startsWith('magnet:?')) return null;
  const params = new URLSearchParams(link.slice('magnet:?'.length));
  for (const xt of params.getAll('xt')) {
    const m = /^urn:btih:([0-9a-z]+)$/i.exec(xt);
    if (!m?.[1]) continue;
    const id = m[1];
    if (/^[0-9a-f]{40}$/i.test(id)) return id.toLowerCase();
    if (/^[a-z2-7]{32}$/i.test(id)) return base32ToHex(id.toUpperCase());
  }
  return null;
}

function base32ToHex(s: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  let hex = '';
  for (let i = 0; i + 4 <= bits.length; i += 4)
    hex += parseInt(bits.slice(i, i + 4), 2).toString(16);
  return hex;
}
