// The bencode reader against real torrents (mktorrent, hash read back by transmission-show, an
// independent implementation) and against malformed input.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAlbum, makeTorrent } from '../../test/helpers/daemons/torrent.js';
import { BencodeError, decodeBencode, magnetInfoHash, readTorrent } from './bencode.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'soulspot-bencode-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('readTorrent', () => {
  it('reads a multi-file torrent: the same info-hash as transmission-show, every file', async () => {
    const album = await makeAlbum(work, 'Björk Album', 'Björk', ['One', 'Two'], 1);
    const made = await makeTorrent(
      album,
      path.join(work, 'album.torrent'),
      'http://127.0.0.1:1/announce',
    );
    const meta = readTorrent(made.torrent);
    expect(meta.infoHash).toBe(made.infoHash);
    expect(meta.name).toBe('Björk Album');
    expect(meta.files.map((f) => f.path).sort()).toEqual([
      'Björk Album/01 - Björk - One.flac',
      'Björk Album/02 - Björk - Two.flac',
    ]);
    expect(meta.files.every((f) => f.size > 0)).toBe(true);
  });

  it('reads a single-file torrent', async () => {
    const file = path.join(work, 'single.bin');
    await writeFile(file, Buffer.alloc(70_000, 7));
    const made = await makeTorrent(
      file,
      path.join(work, 'single.torrent'),
      'http://127.0.0.1:1/announce',
    );
    const meta = readTorrent(made.torrent);
    expect(meta).toEqual({
      infoHash: made.infoHash,
      name: 'single.bin',
      files: [{ path: 'single.bin', size: 70_000 }],
    });
  });

  it('refuses what is not a torrent, with a BencodeError', () => {
    const bad = [
      '',
      'i12',
      'd4:infoi1ee', // info is not a dictionary
      'd3:fooi1ee', // no info
      'd4:infod4:name1:xee', // neither files nor length
      'd4:infod6:lengthi1e4:name1:xeeXX', // trailing bytes
      '5:abc', // string past the end
      'i01e', // leading zero
      `${'l'.repeat(100)}${'e'.repeat(100)}`, // nested too deeply
      'di1ei2ee', // non-string key
    ];
    for (const text of bad)
      expect(() => readTorrent(Buffer.from(text)), text).toThrow(BencodeError);
  });

  it('hashes the info dictionary exactly as found (keys out of order are not re-sorted)', () => {
    const info = 'd6:lengthi5e4:name1:x12:piece lengthi16384ee';
    const reordered = 'd4:name1:x6:lengthi5e12:piece lengthi16384ee';
    const a = readTorrent(Buffer.from(`d4:info${info}e`));
    const b = readTorrent(Buffer.from(`d4:info${reordered}e`));
    expect(a.infoHash).not.toBe(b.infoHash);
    expect(decodeBencode(Buffer.from('li-3ei0e3:abce'))).toEqual([-3, 0, Buffer.from('abc')]);
  });
});

describe('magnetInfoHash', () => {
  it('reads hex and base32 btih, lower-case hex out; null without one', () => {
    const hex = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
    expect(magnetInfoHash(`magnet:?xt=urn:btih:${hex.toUpperCase()}&dn=x`)).toBe(hex);
    // The same 20 bytes in base32.
    const base32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK';
    expect(magnetInfoHash(`magnet:?dn=y&xt=urn:btih:${base32}`)).toBe(hex);
    expect(magnetInfoHash('magnet:?xt=urn:btmh:1220abcd')).toBeNull();
    expect(magnetInfoHash('http://example.org/x.torrent')).toBeNull();
  });
});
