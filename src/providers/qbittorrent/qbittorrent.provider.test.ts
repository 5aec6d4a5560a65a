// The qBittorrent client against real daemons on loopback, started once for the file: the
// qBittorrent under test (with a password), a second qBittorrent seeding, opentracker with a
// whitelist, torrents made by mktorrent over real FLAC tones, served to safe-fetch by a small
// HTTP server standing in for an indexer's download links.
import { createServer, type Server } from 'node:http';
import { link, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startQbittorrent,
  seedTorrent,
  type QbtDaemon,
} from '../../../test/helpers/daemons/qbittorrent.js';
import { startTracker, type Tracker } from '../../../test/helpers/daemons/tracker.js';
import { makeAlbum, makeTorrent, type MadeTorrent } from '../../../test/helpers/daemons/torrent.js';
import { waitUntil } from '../../../test/helpers/wait.js';
import { ProviderError, type EnqueueRequest, type TransferStatus } from '../provider.js';
import type { IndexerRelease } from '../release.js';
import { createQbittorrentApi } from './qbittorrent.api.js';
import { createQbittorrentProvider, type QbittorrentProvider } from './qbittorrent.provider.js';
import { qbittorrentSettings, type QbittorrentSettingsInput } from './qbittorrent.settings.js';

let work: string;
let leecher: QbtDaemon;
let seeder: QbtDaemon;
let tracker: Tracker;
let links: Server;
let linkBase: string;
const served = new Map<string, Buffer>();
let dl: string;
const torrents: Record<'whole' | 'album' | 'unseeded' | 'magnet' | 'fake' | 'race', MadeTorrent> =
  {} as never;

const ARTIST = 'Tester';
const TITLES = ['First Song', 'Second Song', 'Third Song'];

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-qbt-')));
  dl = path.join(work, 'dl');
  await mkdir(dl);
  const seed = path.join(work, 'seed');
  const started = await Promise.all([
    startTracker(await mkdirp(path.join(work, 'tracker'))),
    startQbittorrent(path.join(work, 'A')),
    startQbittorrent(path.join(work, 'B'), { auth: false }),
  ]);
  [tracker, leecher, seeder] = started;
  const specs = [
    ['whole', 'Whole Album'],
    ['album', 'Pick Album'],
    ['unseeded', 'Lonely Album'],
    ['magnet', 'Magnet Album'],
    ['race', 'Race Album'],
  ] as const;
  for (const [key, album] of specs) {
    const folder = await makeAlbum(seed, album, ARTIST, TITLES, 3);
    torrents[key] = await makeTorrent(folder, path.join(work, `${key}.torrent`), tracker.announce, {
      private: key !== 'magnet',
    });
    await tracker.allow(torrents[key].infoHash);
    served.set(`/${key}.torrent`, torrents[key].torrent);
  }
  // A fake release: an installer and a note, no audio at all (nobody seeds it either).
  const fake = path.join(seed, 'Fake Album');
  await mkdir(fake, { recursive: true });
  await writeFile(path.join(fake, 'setup.exe'), Buffer.alloc(40_000, 7));
  await writeFile(path.join(fake, 'readme.txt'), 'run setup.exe to get the album');
  torrents.fake = await makeTorrent(fake, path.join(work, 'fake.torrent'), tracker.announce);
  await tracker.allow(torrents.fake.infoHash);
  served.set('/fake.torrent', torrents.fake.torrent);
  // The lonely album has no seeder at all: nobody but the leecher in its swarm.
  for (const key of ['whole', 'album', 'magnet', 'race'] as const) {
    await seedTorrent(seeder, torrents[key].torrent, seed, torrents[key].infoHash);
  }
  served.set('/not-a-torrent', Buffer.from('<html>nope</html>'));
  links = createServer((req, res) => {
    // Prowlarr's answer for a magnet-only release: its download link redirects to the magnet.
    if (req.url === '/magnet-redirect')
      return void res.writeHead(302, { location: magnetOf(torrents.magnet.infoHash) }).end();
    const body = served.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((resolve) => links.listen(0, '127.0.0.1', resolve));
  const address = links.address();
  linkBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([leecher?.stop(), seeder?.stop(), tracker?.stop()]);
  await new Promise((resolve) => (links ? links.close(resolve) : resolve(undefined)));
  if (work) await rm(work, { recursive: true, force: true });
});

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

function provider(over: Partial<QbittorrentSettingsInput> = {}): QbittorrentProvider {
  return createQbittorrentProvider(
    qbittorrentSettings({
      url: leecher.url,
      username: leecher.username,
      password: leecher.password,
      savePath: dl,
      allowPrivateIndexerLinks: true,
      ...over,
    }),
  );
}

function release(key: string): IndexerRelease {
  return {
    protocol: 'torrent',
    indexer: 'local',
    guid: key,
    title: key,
    link: `${linkBase}/${key}.torrent`,
    size: 0,
    categories: [3040],
  };
}

let batchCounter = 0;
function request(key: string, over: Partial<EnqueueRequest> = {}): EnqueueRequest {
  batchCounter++;
  return {
    provider: 'qbittorrent',
    batchId: `0b6c6f0e-8d0a-4a8e-9a55-${String(batchCounter).padStart(12, '0')}`,
    username: 'local',
    filename: key,
    size: 0,
    release: release(key),
    ...over,
  };
}

async function until(
  client: QbittorrentProvider,
  id: string,
  done: (t: TransferStatus) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<TransferStatus> {
  return waitUntil(async () => (await client.listTransfers()).find((t) => t.id === id && done(t)), {
    what,
    timeoutMs,
    intervalMs: 200,
  });
}

const exists = (file: string) =>
  stat(file).then(
    (s) => s,
    () => null,
  );

describe('qBittorrent provider (real daemons)', () => {
  it('logs in and reports its version; a wrong password is a clear error that never shows it', async () => {
    const health = await provider().health();
    expect(health.state).toBe('up');
    expect(health.version).toMatch(/^v\d+\.\d+\.\d+ \(Web API 2\.\d+/);
    const wrong = 'definitely-not-it-42';
    const bad = await provider({ password: wrong }).health();
    expect(bad.state).toBe('down');
    expect(bad.message).toMatch(/refused the login of user "admin": wrong username or password/);
    expect(bad.message).not.toContain(wrong);
    const api = createQbittorrentApi(
      qbittorrentSettings({ url: leecher.url, username: 'admin', password: wrong }),
    );
    await expect(api.version()).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('adds a torrent by file, finds it by batch id after a restart, never adds it twice, downloads it whole', async () => {
    const client = provider();
    const req = request('whole');
    const first = await client.enqueue(req);
    expect(first.id).toBe(`${torrents.whole.infoHash}.${req.batchId}`);
    expect(first.batchId).toBe(req.batchId);
    // A restart: a new provider (new session) with the request as the attempt row keeps it
    // (no release, no target), then the enqueue is retried.
    const restarted = provider();
    const { release: _r, ...row } = req;
    expect((await restarted.findEnqueued(row))?.id).toBe(first.id);
    expect((await restarted.enqueue(req)).id).toBe(first.id);
    const all = (await (
      await fetch(`${leecher.url}/api/v2/torrents/info?category=soulspot`, {
        headers: { Cookie: await sid() },
      })
    ).json()) as Array<{ hash: string }>;
    expect(all.filter((t) => t.hash === torrents.whole.infoHash)).toHaveLength(1);

    const done = await until(
      client,
      first.id,
      (t) => t.state === 'succeeded',
      'the whole album to download',
    );
    expect(done.bytesTransferred).toBe(done.size);
    for (const title of TITLES) {
      const name = `${TITLES.indexOf(title) + 1}`.padStart(2, '0') + ` - ${ARTIST} - ${title}.flac`;
      const got = await readFile(path.join(dl, 'Whole Album', name));
      expect(got.equals(await readFile(path.join(torrents.whole.content, name)))).toBe(true);
    }

    // Cancel deletes the torrent with its data.
    await client.cancel('local', first.id);
    await waitUntil(async () => (await exists(path.join(dl, 'Whole Album'))) === null, {
      what: 'the cancelled torrent’s data to go',
      timeoutMs: 20_000,
    });
    expect(await client.findEnqueued(req)).toBeNull();
  });

  it('downloads only the wanted track of an album torrent, files it from the mapped path, leaves it seeding', async () => {
    const client = provider();
    const req = request('album', {
      want: { artist: ARTIST, title: 'Second Song', album: 'Pick Album' },
    });
    const enqueued = await client.enqueue(req);
    expect(enqueued.filename).toBe(`Pick Album/02 - ${ARTIST} - Second Song.flac`);
    const wanted = path.join(torrents.album.content, `02 - ${ARTIST} - Second Song.flac`);
    expect(enqueued.size).toBe((await stat(wanted)).size);
    const done = await until(
      client,
      enqueued.id,
      (t) => t.state === 'succeeded',
      'the wanted track',
    );
    expect(done.bytesTransferred).toBe(enqueued.size);

    const prios = (await (
      await fetch(`${leecher.url}/api/v2/torrents/files?hash=${torrents.album.infoHash}`, {
        headers: { Cookie: await sid() },
      })
    ).json()) as Array<{ name: string; priority: number }>;
    expect(prios.map((f) => [f.name.includes('Second'), f.priority])).toEqual([
      [false, 0],
      [true, 1],
      [false, 0],
    ]);
    // The other tracks' bytes are not on disk (libtorrent keeps boundary pieces in a hidden part file).
    for (const title of ['First Song', 'Third Song']) {
      const n = TITLES.indexOf(title) + 1;
      const other = await exists(path.join(dl, 'Pick Album', `0${n} - ${ARTIST} - ${title}.flac`));
      expect(other === null || other.size === 0, title).toBe(true);
    }

    // The local path, as qBittorrent names it and through a mapping to another view of the folder.
    const local = await client.localPath(done);
    expect(local).toBe(path.join(dl, 'Pick Album', `02 - ${ARTIST} - Second Song.flac`));
    expect((await readFile(local!)).equals(await readFile(wanted))).toBe(true);
    // SoulSpot's view of qBittorrent's folder elsewhere (a hard link stands in for a second mount).
    const view = path.join(work, 'view');
    await mkdir(path.join(view, 'Pick Album'), { recursive: true });
    const viewed = path.join(view, 'Pick Album', path.basename(local!));
    await link(local!, viewed);
    const mapped = provider({ pathMappings: [{ remote: dl, local: view }], downloadsDir: view });
    expect(await mapped.localPath(done)).toBe(viewed);
    expect(await mapped.downloadsRoot()).toBe(view);
    // Without downloadsDir, the root is the save path mapped the same way.
    expect(await provider({ pathMappings: [{ remote: dl, local: view }] }).downloadsRoot()).toBe(
      view,
    );
    // A downloads folder the mapped path is not in: refused, never read.
    const elsewhere = provider({ downloadsDir: await mkdirp(path.join(work, 'elsewhere')) });
    await expect(elsewhere.localPath(done)).rejects.toMatchObject({ code: 'file_not_found' });
    // A mapping into a folder without the file: not there (yet).
    const empty = provider({
      pathMappings: [{ remote: dl, local: path.join(work, 'elsewhere') }],
      downloadsDir: path.join(work, 'elsewhere'),
    });
    expect(await empty.localPath(done)).toBeNull();

    // Forget: no longer SoulSpot's, still seeding with its file.
    await client.forget('local', done.id);
    const after = (await client.listTransfers()).find((t) => t.id === done.id);
    expect(after?.removed).toBe(true);
    const [info] = (await (
      await fetch(`${leecher.url}/api/v2/torrents/info?hashes=${torrents.album.infoHash}`, {
        headers: { Cookie: await sid() },
      })
    ).json()) as Array<{ state: string }>;
    expect(info?.state).toMatch(/UP$|^uploading$/);
    expect(await exists(local!)).not.toBeNull();
  });

  it('a second track of a torrent already there joins it: both files selected, the rest not; its cancel keeps the torrent', async () => {
    const client = provider();
    const req = request('album', {
      want: { artist: ARTIST, title: 'Third Song', album: 'Pick Album' },
    });
    const enqueued = await client.enqueue(req);
    expect(enqueued.filename).toBe(`Pick Album/03 - ${ARTIST} - Third Song.flac`);
    // The two instances were seed to seed and dropped their connection, and libtorrent waits its
    // min_reconnect_time (60 s) before dialling the same peer again. A real swarm has other
    // peers; here the seeder is handed over under its other loopback address, a new peer to it.
    const added = await fetch(`${leecher.url}/api/v2/torrents/addPeers`, {
      method: 'POST',
      headers: { Cookie: await sid() },
      body: new URLSearchParams({
        hashes: torrents.album.infoHash,
        peers: `[::1]:${seeder.btPort}`,
      }),
    });
    expect(added.status).toBe(200);
    await until(client, enqueued.id, (t) => t.state === 'succeeded', 'the third track', 150_000);
    const third = path.join(dl, 'Pick Album', `03 - ${ARTIST} - Third Song.flac`);
    const original = path.join(torrents.album.content, `03 - ${ARTIST} - Third Song.flac`);
    expect((await readFile(third)).equals(await readFile(original))).toBe(true);
    expect(await priorities(torrents.album.infoHash)).toEqual([0, 1, 1]);
    // One torrent still, now wanted twice (the second track's want forgotten, this one active).
    const tags = (await client.listTransfers()).filter((t) =>
      t.id.startsWith(torrents.album.infoHash),
    );
    expect(tags.map((t) => Boolean(t.removed)).sort()).toEqual([false, true]);

    await client.cancel('local', enqueued.id);
    // The filed track it still seeds keeps the torrent; the cancelled file is deselected.
    expect(await priorities(torrents.album.infoHash)).toEqual([0, 1, 0]);
    expect(await client.findEnqueued(req)).toBeNull();
    const second = path.join(dl, 'Pick Album', `02 - ${ARTIST} - Second Song.flac`);
    expect(await exists(second)).not.toBeNull();
  }, 180_000);

  it('a magnet link: handed over as is, the wanted file chosen once the metadata has come', async () => {
    const client = provider();
    const { infoHash } = torrents.magnet;
    const magnet = magnetOf(infoHash);
    const req = request('magnet', {
      release: { ...release('magnet'), link: magnet },
      want: { artist: ARTIST, title: 'First Song', album: 'Magnet Album' },
    });
    const enqueued = await client.enqueue(req);
    expect(enqueued.id).toBe(`${infoHash}.${req.batchId}`);
    expect(enqueued.filename).toBe(`Magnet Album/01 - ${ARTIST} - First Song.flac`);
    expect(await priorities(infoHash)).toEqual([1, 0, 0]);
    const done = await until(
      client,
      enqueued.id,
      (t) => t.state === 'succeeded',
      'the magnet track',
    );
    const local = await client.localPath(done);
    const original = path.join(torrents.magnet.content, `01 - ${ARTIST} - First Song.flac`);
    expect((await readFile(local!)).equals(await readFile(original))).toBe(true);
  });

  it('an indexer link that redirects to a magnet link: the magnet is handed over', async () => {
    const client = provider();
    const { infoHash } = torrents.magnet;
    const req = request('magnet-redirect', {
      release: { ...release('magnet-redirect'), link: `${linkBase}/magnet-redirect` },
      want: { artist: ARTIST, title: 'Third Song', album: 'Magnet Album' },
    });
    const enqueued = await client.enqueue(req);
    // The torrent the first magnet test added, now wanted for its third file as well.
    expect(enqueued.id).toBe(`${infoHash}.${req.batchId}`);
    expect(enqueued.filename).toBe(`Magnet Album/03 - ${ARTIST} - Third Song.flac`);
    expect(await priorities(infoHash)).toEqual([1, 0, 1]);
    await client.cancel('local', enqueued.id);
    expect(await priorities(infoHash)).toEqual([1, 0, 0]);
  });

  it('a torrent without the wanted track: track_not_in_release, and nothing left in qBittorrent', async () => {
    const client = provider();
    const req = request('unseeded', { want: { artist: 'Nobody', title: 'Missing Song' } });
    const error = await client.enqueue(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'track_not_in_release' });
    expect((error as Error).message).toMatch(
      /None of the 3 files of the torrent is the wanted track "Nobody – Missing Song"/,
    );
    expect(await client.findEnqueued(req)).toBeNull();
  });

  it('two tracks enqueue one torrent at once, one not in it: the other still gets its file', async () => {
    const client = provider();
    const lacking = request('race', { want: { artist: 'Nobody', title: 'Missing Song' } });
    const wanted = request('race', {
      want: { artist: ARTIST, title: 'Second Song', album: 'Race Album' },
    });
    const [a, b] = await Promise.allSettled([client.enqueue(lacking), client.enqueue(wanted)]);
    expect(a).toMatchObject({ status: 'rejected', reason: { code: 'track_not_in_release' } });
    expect(b.status).toBe('fulfilled');
    const enqueued = (b as PromiseFulfilledResult<TransferStatus>).value;
    expect(await client.findEnqueued(lacking)).toBeNull();
    const done = await until(
      client,
      enqueued.id,
      (t) => t.state === 'succeeded',
      'the raced track',
    );
    const local = await client.localPath(done);
    const original = path.join(torrents.race.content, `02 - ${ARTIST} - Second Song.flac`);
    expect((await readFile(local!)).equals(await readFile(original))).toBe(true);
  });

  it('a torrent with no audio file at all: invalid_file (a bad release), and nothing left', async () => {
    const client = provider();
    const req = request('fake', { want: { artist: ARTIST, title: 'First Song' } });
    const error = await client.enqueue(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'invalid_file' });
    expect((error as Error).message).toMatch(/none of the 2 files of the torrent is audio/i);
    expect(await client.findEnqueued(req)).toBeNull();
  });

  it('refuses what is not a torrent, and a private-address link unless allowed', async () => {
    const client = provider();
    const req = request('x', { release: { ...release('x'), link: `${linkBase}/not-a-torrent` } });
    await expect(client.enqueue(req)).rejects.toMatchObject({ code: 'invalid_file' });
    const strict = provider({ allowPrivateIndexerLinks: false });
    await expect(strict.enqueue(request('whole'))).rejects.toMatchObject({
      code: 'transfer_failed',
    });
  });

  it('reads a release’s files from its .torrent without adding it; a magnet link has none to read', async () => {
    const client = provider();
    const files = await client.releaseFiles!(release('unseeded'));
    expect(files!.map((f) => f.path)).toEqual(
      TITLES.map((t, i) => `Lonely Album/0${i + 1} - ${ARTIST} - ${t}.flac`),
    );
    for (const [i, f] of files!.entries()) {
      const original = path.join(
        torrents.unseeded.content,
        `0${i + 1} - ${ARTIST} - ${TITLES[i]}.flac`,
      );
      expect(f.size).toBe((await stat(original)).size);
    }
    const r = await fetch(
      `${leecher.url}/api/v2/torrents/info?hashes=${torrents.unseeded.infoHash}`,
      {
        headers: { Cookie: await sid() },
      },
    );
    expect(await r.json()).toEqual([]);
    expect(
      await client.releaseFiles!({ ...release('m'), link: magnetOf(torrents.magnet.infoHash) }),
    ).toBeNull();
    await expect(
      client.releaseFiles!({ ...release('x'), link: `${linkBase}/not-a-torrent` }),
    ).rejects.toMatchObject({ code: 'invalid_file' });
    await expect(
      provider({ allowPrivateIndexerLinks: false }).releaseFiles!(release('unseeded')),
    ).rejects.toMatchObject({ code: 'transfer_failed' });
  });

  it('a torrent nobody seeds is reported stalled, which fails as queue_timeout', async () => {
    const client = provider({ noSeedersTimeoutSeconds: 2, noProgressTimeoutSeconds: 600 });
    const req = request('unseeded');
    const enqueued = await client.enqueue(req);
    const stalled = await until(
      client,
      enqueued.id,
      (t) => t.state === 'timed_out',
      'the stall',
      30_000,
    );
    expect(client.describeFailure(stalled)).toMatchObject({ code: 'queue_timeout', final: true });
    // A stalled, unfinished torrent is not worth seeding: forgetting it removes it.
    await client.forget('local', stalled.id);
    await waitUntil(async () => (await client.findEnqueued(req)) === null, {
      what: 'the removal',
      timeoutMs: 10_000,
    });
  });
});

/** The leecher's file priorities of one torrent, in file order. */
function magnetOf(infoHash: string): string {
  return `magnet:?xt=urn:btih:${infoHash}&dn=Magnet%20Album&tr=${encodeURIComponent(tracker.announce)}`;
}

async function priorities(hash: string): Promise<number[]> {
  const r = await fetch(`${leecher.url}/api/v2/torrents/files?hash=${hash}`, {
    headers: { Cookie: await sid() },
  });
  return ((await r.json()) as Array<{ priority: number }>).map((f) => f.priority);
}

/** A session cookie of the leecher for direct checks. */
async function sid(): Promise<string> {
  const r = await fetch(`${leecher.url}/api/v2/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: leecher.username, password: leecher.password }),
  });
  return /SID=[^;]+/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
}
