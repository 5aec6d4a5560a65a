import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { lanAllowedPolicy } from '../../net/address-policy.js';
import { writeNzb } from '../../../test/helpers/daemons/nzb.js';
import type { PostedFile } from '../../../test/helpers/daemons/yenc.js';
import { ProviderError, type EnqueueRequest } from '../provider.js';
import {
  batchIdOf,
  buildNzb,
  fetchNzb,
  jobName,
  linkForMessages,
  nameFromSubject,
  nzbReleaseFiles,
  parseNzb,
  prepareNzb,
} from './usenet-nzb.js';

const posted = (name: string, parts = 2): PostedFile => ({
  name,
  subject: `"${name}" yEnc (1/${parts})`,
  poster: 'poster <p@example.invalid>',
  date: 1_700_000_000,
  groups: ['alt.binaries.test'],
  segments: Array.from({ length: parts }, (_, i) => ({
    number: i + 1,
    bytes: 1000,
    messageId: `${name.replace(/\W/g, '')}-${i}@example.invalid`,
  })),
});

const album = writeNzb(
  [
    posted('01 - Artist - Alpha.flac'),
    posted('02 - Artist - Beta.flac'),
    posted('02 - Artist - Beta (Remix).flac'),
    posted('Artist - Album.par2', 1),
    posted('folder.jpg', 1),
  ],
  'Artist - Album & Friends',
);

describe('parseNzb', () => {
  it('reads each file with its name, groups, segments and size', () => {
    const files = parseNzb(album);
    expect(files.map((f) => f.name)).toEqual([
      '01 - Artist - Alpha.flac',
      '02 - Artist - Beta.flac',
      '02 - Artist - Beta (Remix).flac',
      'Artist - Album.par2',
      'folder.jpg',
    ]);
    expect(files[0]).toMatchObject({ groups: ['alt.binaries.test'], size: 2000 });
    expect(files[0]!.segments[1]).toEqual({
      number: 2,
      bytes: 1000,
      messageId: '01ArtistAlphaflac-1@example.invalid',
    });
  });

  it.each([
    ['not xml at all <<<', /not well-formed|no <nzb>/],
    ['<html><body>login required</body></html>', /no <nzb> root/],
    ['<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb"></nzb>', /no file with segments/],
  ])('refuses what is not a usable NZB: %s', (doc, message) => {
    expect(() => parseNzb(doc)).toThrow(message);
    try {
      parseNzb(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).code).toBe('invalid_file');
    }
  });

  it('names files from quoted or bare subjects', () => {
    expect(nameFromSubject('[1/5] - "track one.flac" yEnc (1/3)')).toBe('track one.flac');
    expect(nameFromSubject('track two.flac yEnc (1/3)')).toBe('track two.flac');
  });
});

describe('prepareNzb', () => {
  it('without a wanted track: the NZB as it came', () => {
    const prepared = prepareNzb(album);
    expect(prepared.content).toBe(album);
    expect(prepared.picked).toBeNull();
  });

  it('with one: only the wanted file, not the remix, the cover or the par2 set', () => {
    const prepared = prepareNzb(album, { artist: 'Artist', title: 'Beta', album: 'Album' });
    expect(prepared.picked?.entry.path).toBe('02 - Artist - Beta.flac');
    expect(parseNzb(prepared.content).map((f) => f.name)).toEqual(['02 - Artist - Beta.flac']);
  });

  it('with the file an album search chose: that file, whatever the track matches', () => {
    const prepared = prepareNzb(
      album,
      { artist: 'Artist', title: 'Beta' },
      '02 - Artist - Beta (Remix).flac',
    );
    expect(parseNzb(prepared.content).map((f) => f.name)).toEqual([
      '02 - Artist - Beta (Remix).flac',
    ]);
    // A name the NZB does not have: the track's own match, as without one.
    const fallback = prepareNzb(album, { artist: 'Artist', title: 'Beta' }, 'gone.flac');
    expect(parseNzb(fallback.content).map((f) => f.name)).toEqual(['02 - Artist - Beta.flac']);
  });

  it('a release that lists audio files, none the track, is refused before anything is fetched', () => {
    expect(() => prepareNzb(album, { artist: 'Artist', title: 'Omega', album: 'Album' })).toThrow(
      expect.objectContaining({
        code: 'track_not_in_release',
        message: expect.stringMatching(
          /audio files of the NZB is the wanted track "Artist – Omega"/,
        ),
      }),
    );
  });

  it('a release whose files are not the track (archives) goes whole', () => {
    const rars = writeNzb([posted('release.part1.rar'), posted('release.part2.rar')]);
    expect(prepareNzb(rars, { artist: 'Artist', title: 'Beta' }).content).toBe(rars);
  });

  it('buildNzb escapes what it writes and reads back the same', () => {
    const [file] = parseNzb(writeNzb([posted('a & <b> "c".flac')]));
    const again = parseNzb(buildNzb([file!]));
    expect(again[0]).toEqual(file);
  });
});

describe('job names', () => {
  it('carry the batch id, found again; a user job without one is not ours', () => {
    const id = '3f1c2e9a-1b2c-4d5e-8f90-123456789abc';
    const name = jobName('Artist / Album: "Deluxe" [FLAC]', id);
    expect(name).toBe(`Artist Album Deluxe FLAC.ss-${id}`);
    expect(batchIdOf(name)).toBe(id);
    expect(batchIdOf(`${name}.nzb`)).toBe(id);
    expect(batchIdOf('Some.User.Download.2024')).toBeNull();
    expect(jobName('///', id)).toBe(`release.ss-${id}`);
  });
});

describe('fetchNzb', () => {
  const request = (link: string): EnqueueRequest => ({
    batchId: 'b',
    username: 'indexer',
    filename: 'x',
    size: 1,
    release: {
      protocol: 'usenet',
      indexer: 'indexer',
      guid: 'g',
      title: 't',
      link,
      size: 1,
      categories: [],
    },
  });

  it('refuses a loopback or private link unless allowed, without showing the API key', async () => {
    for (const link of [
      'http://127.0.0.1:9/get?apikey=SECRET123',
      'http://10.0.0.1/get?apikey=SECRET123',
    ]) {
      const error = (await fetchNzb(request(link)).catch((e: unknown) => e)) as ProviderError;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.message).toContain('address_refused');
      expect(error.message).not.toContain('SECRET123');
    }
  });

  it('takes only Usenet releases', async () => {
    const torrent = request('http://example.invalid/x.torrent');
    torrent.release!.protocol = 'torrent';
    await expect(fetchNzb(torrent)).rejects.toMatchObject({ code: 'invalid_file' });
  });

  it('messages show the link without its query', () => {
    expect(linkForMessages('https://indexer.example/api?t=get&id=1&apikey=abc')).toBe(
      'https://indexer.example/api',
    );
  });
});

describe('nzbReleaseFiles', () => {
  it('reads a release’s files from its NZB, the par2 set left out; a missing NZB is file_not_found', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/album.nzb') return void res.writeHead(200).end(album);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const release = (file: string) => ({
      protocol: 'usenet' as const,
      indexer: 'indexer',
      guid: file,
      title: 'Artist - Album',
      link: `${base}/${file}`,
      size: 1,
      categories: [],
    });
    try {
      const files = await nzbReleaseFiles(release('album.nzb'), { policy: lanAllowedPolicy() });
      expect(files).toEqual([
        { path: '01 - Artist - Alpha.flac', size: 2000 },
        { path: '02 - Artist - Beta.flac', size: 2000 },
        { path: '02 - Artist - Beta (Remix).flac', size: 2000 },
        { path: 'folder.jpg', size: 1000 },
      ]);
      await expect(
        nzbReleaseFiles(release('gone.nzb'), { policy: lanAllowedPolicy() }),
      ).rejects.toMatchObject({ code: 'file_not_found' });
      // Loopback only where allowed, as for an enqueue.
      await expect(nzbReleaseFiles(release('album.nzb'))).rejects.toThrow(/address_refused/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
