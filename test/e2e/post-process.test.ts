import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeAudio, makeImage } from '../helpers/audio-formats.js';
import { filesUnder, sha } from '../helpers/files.js';
import { SLSKD_KEY, startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const ON = {
  SOULSPOT_TAG_FILES: 'true',
  SOULSPOT_EMBED_COVER: 'true',
  SOULSPOT_WRITE_FOLDER_COVER: 'true',
  SOULSPOT_MAX_RETRIES: '0',
  SOULSPOT_LOG_LEVEL: process.env.POST_LOG ?? 'silent',
};
const MBID = '8f3471b5-7e6a-48da-86a9-c1c07a0f47ae';

describe('post-processing: tags, cover, placement, folder cover', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-post-'));
  let stack: Stack | undefined;
  let canary: Server;
  let canaryUrl: string;
  const canaryHits: string[] = [];
  let canaryImage: Buffer;

  beforeAll(async () => {
    await Promise.all([
      makeAudio(path.join(dir, 'one.flac'), 'flac'),
      makeAudio(path.join(dir, 'two.flac'), 'flac'),
      makeAudio(path.join(dir, 'three.mp3'), 'mp3'),
      makeImage(path.join(dir, 'folder.jpg'), 'red'),
      makeImage(path.join(dir, 'other.jpg'), 'green'),
      makeImage(path.join(dir, 'remote.png'), 'blue'),
    ]);
    canaryImage = readFileSync(path.join(dir, 'remote.png'));
    canary = createServer((req, res) => {
      canaryHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end(canaryImage);
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(async () => {
    await new Promise((resolve) => canary.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const share = (name: string, file: string, folder = 'Post (1995)') => ({
    remotePath: `@@bj\\Music\\Björk\\${folder}\\${name}`,
    localPath: path.join(dir, file),
  });
  /** slskd's folder for a download from that remote folder: a peer's cover can be put there. */
  const slskdFolder = (s: Stack, folder = 'Post (1995)') =>
    path.join(s.root, 'slskd', 'downloads', folder);
  const finished = async (s: Stack, id: string): Promise<DownloadDto> => {
    const items = await s.waitFor((all) =>
      all.some((d) => d.id === id && ['completed', 'failed', 'cancelled'].includes(d.status)),
    );
    return items.find((d) => d.id === id)!;
  };
  /**
   * The peer's image downloaded through slskd itself (as a user fetching the whole folder in
   * slskd's UI does): only an image slskd's transfer list says came from the track's own peer and
   * folder is taken as its cover.
   */
  const peerSends = async (s: Stack, name: string, file: string, folder = 'Post (1995)') => {
    const { remotePath } = share(name, file, folder);
    const size = statSync(path.join(dir, file)).size;
    const res = await fetch(`${s.emulator.url}/api/v0/transfers/downloads/bj`, {
      method: 'POST',
      headers: { 'x-api-key': SLSKD_KEY, 'content-type': 'application/json' },
      body: JSON.stringify([{ filename: remotePath, size }]),
    });
    expect(res.status).toBeLessThan(300);
    const local = path.join(slskdFolder(s, folder), name);
    await waitUntil(() => existsSync(local) && statSync(local).size === size, {
      what: `slskd to download ${name}`,
    });
    return local;
  };
  const hiddenIn = (root: string) =>
    filesUnder(root).filter((f) => path.basename(f).startsWith('.'));

  it('tags the file, embeds the cover from its folder and writes cover.jpg once per album', async () => {
    stack = await startStack({
      users: [
        {
          username: 'bj',
          files: [
            share('03 - Army.flac', 'one.flac'),
            share('04 - Isobel.flac', 'two.flac'),
            share('Folder.jpg', 'folder.jpg'),
            share('Cover.jpg', 'other.jpg'),
          ],
        },
      ],
      env: ON,
    });
    const folder = slskdFolder(stack);
    const cover = readFileSync(path.join(dir, 'folder.jpg'));
    // The peer's album folder came with its cover.
    await peerSends(stack, 'Folder.jpg', 'folder.jpg');

    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Army',
      album: 'Post',
      albumArtist: 'Björk',
      trackNumber: 3,
      trackTotal: 11,
      discNumber: 1,
      discTotal: 1,
      year: 1995,
      genre: 'Electronic',
      isrc: 'GBAAA9500123',
      musicbrainzRecordingId: MBID,
    });
    expect(created.status).toBe(201);
    const done = await finished(stack, created.body.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');

    const meta = await parseFile(done.libraryPath!);
    expect(meta.common).toMatchObject({
      title: 'Army',
      artist: 'Björk',
      album: 'Post',
      albumartist: 'Björk',
      track: { no: 3, of: 11 },
      disk: { no: 1, of: 1 },
      year: 1995,
      genre: ['Electronic'],
      isrc: ['GBAAA9500123'],
      musicbrainz_recordingid: MBID,
    });
    expect(Buffer.from(meta.common.picture![0]!.data).equals(cover)).toBe(true);
    const albumDir = path.dirname(done.libraryPath!);
    expect(sha(path.join(albumDir, 'cover.jpg'))).toBe(sha(path.join(folder, 'Folder.jpg')));
    // Nothing half-made left: no working copy, no temp file; slskd's copy removed once recorded.
    expect(hiddenIn(path.join(stack.root, 'library'))).toEqual([]);
    expect(readdirSync(folder)).toEqual(['Folder.jpg']);

    // A second track of the album with another cover next to it (Cover.* ranks before Folder.*):
    // embedded in that track, while the album folder's cover.jpg stays.
    await peerSends(stack, 'Cover.jpg', 'other.jpg');
    const second = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Isobel',
      album: 'Post',
      trackNumber: 4,
    });
    const done2 = await finished(stack, second.body.id);
    expect(done2.status).toBe('completed');
    expect(path.dirname(done2.libraryPath!)).toBe(albumDir);
    expect(sha(path.join(albumDir, 'cover.jpg'))).toBe(sha(path.join(dir, 'folder.jpg')));
    const embedded = (await parseFile(done2.libraryPath!)).common.picture![0]!;
    expect(Buffer.from(embedded.data).equals(readFileSync(path.join(dir, 'other.jpg')))).toBe(true);
  });

  it('honours the switches: tags and embedding off file the bytes as they came', async () => {
    stack = await startStack({
      users: [
        {
          username: 'bj',
          files: [
            share('03 - Army.flac', 'one.flac'),
            share('04 - Isobel.flac', 'two.flac'),
            share('cover.jpg', 'folder.jpg'),
          ],
        },
      ],
      env: { ...ON, SOULSPOT_TAG_FILES: 'false', SOULSPOT_EMBED_COVER: 'false' },
    });
    await peerSends(stack, 'cover.jpg', 'folder.jpg');
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Army',
      album: 'Post',
    });
    const done = await finished(stack, created.body.id);
    expect(done.status).toBe('completed');
    expect(sha(done.libraryPath!)).toBe(sha(path.join(dir, 'one.flac')));
    // Only the folder cover was asked for.
    expect(sha(path.join(path.dirname(done.libraryPath!), 'cover.jpg'))).toBe(
      sha(path.join(dir, 'folder.jpg')),
    );

    // Switched off live (PATCH /api/settings): the next file of the album gets no folder cover.
    const patched = await stack.api('PATCH', '/api/settings', { writeFolderCover: false });
    expect(patched.status).toBe(200);
    rmSync(path.join(path.dirname(done.libraryPath!), 'cover.jpg'));
    const next = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Isobel',
      album: 'Post',
    });
    const done2 = await finished(stack, next.body.id);
    expect(done2.status).toBe('completed');
    expect(sha(done2.libraryPath!)).toBe(sha(path.join(dir, 'two.flac')));
    expect(readdirSync(path.dirname(done2.libraryPath!)).sort()).toEqual(
      [path.basename(done.libraryPath!), path.basename(done2.libraryPath!)].sort(),
    );
  });

  it('a cover URL that is refused fails with cover_failed; allowed and retried, it resumes without downloading again', async () => {
    stack = await startStack({
      users: [{ username: 'bj', files: [share('03 - Army.flac', 'one.flac')] }],
      env: ON,
    });
    const before = canaryHits.length;
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Army',
      album: 'Post',
      coverUrl: `${canaryUrl}/front.png`,
    });
    const failed = await finished(stack, created.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('cover_failed');
    expect(failed.errorMessage).toMatch(/loopback address: refused/);
    // Refused before any request went out; slskd's file is kept for the retry.
    expect(canaryHits.length).toBe(before);
    expect(readdirSync(slskdFolder(stack))).toEqual(['03 - Army.flac']);
    expect(stack.emulator.enqueues).toHaveLength(1);

    const allowed = await stack.api('PATCH', '/api/settings', {
      fetchAllowedRanges: ['127.0.0.1/32'],
    });
    expect(allowed.status).toBe(200);
    const retried = await stack.api<DownloadDto>('POST', `/api/downloads/${created.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('processing');
    const done = await finished(stack, created.body.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(stack.emulator.enqueues).toHaveLength(1);
    expect(done.attempts).toHaveLength(1);
    // One request: the folder cover.jpg reuses the image fetched for embedding.
    expect(canaryHits.slice(before)).toEqual(['/front.png']);
    expect(sha(path.join(path.dirname(done.libraryPath!), 'cover.png'))).toBe(
      sha(path.join(dir, 'remote.png')),
    );
    const meta = await parseFile(done.libraryPath!);
    expect(meta.common.title).toBe('Army');
    expect(Buffer.from(meta.common.picture![0]!.data).equals(canaryImage)).toBe(true);
    expect(hiddenIn(path.join(stack.root, 'library'))).toEqual([]);
  });

  it('tags that do not read back fail with tagging_failed; the retry files the kept file without a new transfer', async () => {
    stack = await startStack({
      users: [{ username: 'bj', files: [share('01 - Hyper.mp3', 'three.mp3', 'Debut (1993)')] }],
      env: ON,
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Hyper',
      // ID3v2 cannot hold a numeric genre: readers turn "13" into ID3v1 genre 13, "Pop".
      genre: '13',
    });
    const failed = await finished(stack, created.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorCode).toBe('tagging_failed');
    expect(failed.errorMessage).toMatch(/genre: wanted "13", read "Pop"/);
    expect(failed.libraryPath).toBeNull();
    expect(readdirSync(slskdFolder(stack, 'Debut (1993)'))).toEqual(['01 - Hyper.mp3']);

    await stack.api('PATCH', '/api/settings', { tagFiles: false });
    const retried = await stack.api<DownloadDto>('POST', `/api/downloads/${created.body.id}/retry`);
    expect(retried.status).toBe(200);
    const done = await finished(stack, created.body.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(stack.emulator.enqueues).toHaveLength(1);
    expect(sha(done.libraryPath!)).toBe(sha(path.join(dir, 'three.mp3')));
    // The working copy of the failed run is not left behind in the library.
    expect(hiddenIn(path.join(stack.root, 'library'))).toEqual([]);
  });

  it("a retry after slskd's kept file was removed searches and downloads afresh, without waiting for the file", async () => {
    stack = await startStack({
      users: [{ username: 'bj', files: [share('01 - Hyper.mp3', 'three.mp3', 'Debut (1993)')] }],
      env: ON,
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Björk',
      title: 'Hyper',
      genre: '13',
    });
    const failed = await finished(stack, created.body.id);
    expect(failed.errorCode).toBe('tagging_failed');
    unlinkSync(path.join(slskdFolder(stack, 'Debut (1993)'), '01 - Hyper.mp3'));

    await stack.api('PATCH', '/api/settings', { tagFiles: false });
    const started = Date.now();
    const retried = await stack.api<DownloadDto>('POST', `/api/downloads/${created.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('waiting');
    const done = await finished(stack, created.body.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(stack.emulator.enqueues).toHaveLength(2);
    expect(sha(done.libraryPath!)).toBe(sha(path.join(dir, 'three.mp3')));
    // Well under filing's 60 s wait for a file that never comes.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
