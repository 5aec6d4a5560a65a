import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import { makeTone } from '../helpers/audio.js';
import { API_KEY, startStack, type Stack } from '../helpers/stack.js';
import {
  AddResponse,
  ConfigResponse,
  FullStatusResponse,
  HistoryResponse,
  musicSearchUrl,
  parseCaps,
  parseFeed,
  QueueResponse,
  recentUrl,
  sabClient,
  SabError,
  StatusResponse,
  strict,
  validateNzb,
  VersionResponse,
  type SabClient,
} from './lidarr-client.js';

/**
 * Lidarr's two integrations against a real SoulSpot and the slskd emulator serving a real album
 * (FLAC files made with ffmpeg): the request sequences Lidarr sends, from its source, parsed by
 * the strict client in lidarr-client.ts. Connection tests first (Newznab: caps, then the first
 * RSS page; SABnzbd: version, get_config ×3, as Sabnzbd.Test calls them), then an album search,
 * the grab (Lidarr downloads the enclosure, validates it, posts it to addfile), the queue and
 * history polls until the album is filed, and the path Lidarr would import.
 */

const STUCK = { artist: 'Tidal Glass', album: 'Undertow', titles: ['Shoal', 'Rip'] };
const ALBUM = {
  artist: 'Prism Avenue',
  album: 'Harbour Lights',
  titles: ['Night Ferry', 'Glass Harbour', 'Wire Garden'],
};
/** At two peers: FLAC (ranked first) and MP3; the test grabs the MP3 one. */
const TWICE = { artist: 'Copper Field', album: 'Slow Rivers', titles: ['Delta', 'Estuary'] };
/** As Lidarr's Sabnzbd GetHistory asks: start 0, its DownloadClientHistoryLimit (60). */
const HISTORY_LIMIT = 60;

let sharedBytes = 0;

async function peers(dir: string): Promise<SimUser[]> {
  const tones: string[] = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(dir, `t${i}.flac`);
    await makeTone(f, { seconds: 2, frequency: 250 + 40 * i, format: 'flac' });
    tones.push(f);
  }
  sharedBytes = tones.slice(0, 3).reduce((n, f) => n + statSync(f).size, 0);
  const mp3s: string[] = [];
  for (let i = 0; i < TWICE.titles.length; i++) {
    const f = path.join(dir, `m${i}.mp3`);
    await makeTone(f, { seconds: 2, frequency: 500 + 40 * i, format: 'mp3' });
    mp3s.push(f);
  }
  const twice = (ext: string, files: string[]) =>
    TWICE.titles.map((t, i) => ({
      remotePath: `@@${ext}\\Music\\${TWICE.artist}\\${TWICE.album} (2021)\\0${i + 1} - ${t}.${ext}`,
      localPath: files[i] as string,
    }));
  return [
    { username: 'twiceflac', files: twice('flac', tones) },
    { username: 'twicemp3', files: twice('mp3', mp3s) },
    {
      username: 'folderpeer',
      files: ALBUM.titles.map((t, i) => ({
        remotePath: `@@f\\Music\\${ALBUM.artist}\\${ALBUM.album} (2019)\\0${i + 1} - ${t}.flac`,
        localPath: tones[i] as string,
      })),
    },
    {
      // A peer whose queue never moves: the album stays in SABnzbd's queue until acted on.
      username: 'slowpeer',
      files: STUCK.titles.map((t, i) => ({
        remotePath: `@@w\\Music\\${STUCK.artist}\\${STUCK.album} (2020)\\0${i + 1} - ${t}.flac`,
        localPath: tones[i] as string,
      })),
      behaviour: { stuckInQueue: true },
    },
    {
      // One stray track of the album in a folder of its own: a single, not an album release.
      username: 'strays <b>&amp;',
      files: [
        {
          remotePath: `@@s\\Misc\\${ALBUM.artist} - ${ALBUM.album} <script>\\01 - ${ALBUM.titles[0]}.flac`,
          localPath: tones[3] as string,
        },
      ],
    },
  ];
}

describe('Lidarr endpoints against a real stack', () => {
  let stack: Stack;
  let sab: SabClient;
  let base: string;

  beforeAll(async () => {
    stack = await startStack({
      users: await peers(mkdtempSync(path.join(tmpdir(), 'soulspot-lidarr-'))),
    });
    base = stack.soulspot.url;
    sab = sabClient(base, API_KEY);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a wrong or missing key on both APIs, before anything else', async () => {
    for (const key of ['wrong-key-wrong-key-1', '']) {
      const res = await fetch(`${base}/sabnzbd/api?mode=version&apikey=${key}&output=json`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ status: false, error: 'API Key Incorrect' });
    }
    const missing = await fetch(`${base}/sabnzbd/api?mode=queue&output=json`);
    expect(missing.status).toBe(401);
    const nz = await fetch(`${base}/newznab/api?t=caps&apikey=nope`);
    expect(nz.status).toBe(401);
    expect(await nz.text()).toMatch(/<error code="100"/);
    // The X-Api-Key header of /api does not open these (Lidarr sends the key in the query).
    const header = await fetch(`${base}/newznab/api?t=caps`, { headers: { 'x-api-key': API_KEY } });
    expect(header.status).toBe(401);
  });

  it("passes Lidarr's Newznab connection test: caps with audio search, then one item for the RSS page", async () => {
    const caps = parseCaps(
      await (await fetch(`${base}/newznab/api?t=caps&apikey=${API_KEY}`)).text(),
    );
    // Newznab.TestCapabilities and SupportsAudioSearch.
    expect(caps.audio).toEqual(expect.arrayContaining(['q', 'artist', 'album']));
    expect(caps.search).toContain('q');
    expect(caps.categories[0]?.id).toBe(3000);
    expect(caps.categories[0]?.subcats.map((s) => s.id)).toEqual(
      expect.arrayContaining([3010, 3040]),
    );
    // HttpIndexerBase.TestConnection: the first recent request must give a release.
    const items = parseFeed(await (await fetch(recentUrl(base, API_KEY))).text());
    expect(items).toHaveLength(1);
    expect(items[0]?.title).toMatch(/placeholder/);
    // Its NZB does not exist: an RSS sync that grabbed it would get a 404, not a download.
    expect((await fetch(items[0]?.downloadUrl ?? '')).status).toBe(404);
  });

  it("passes Lidarr's SABnzbd connection test (version, get_config, fullstatus)", async () => {
    const v = await sab.get(VersionResponse, 'version');
    const [, major, minor] = /^(\d+)\.(\d+)\./.exec(v.version) ?? [];
    expect(Number(major) >= 1 || Number(minor) >= 7).toBe(true);
    const { config } = await sab.get(ConfigResponse, 'get_config');
    expect(path.isAbsolute(config.misc.complete_dir)).toBe(true);
    expect(config.misc.complete_dir).toBe(stack.config.libraryDir);
    const music = config.categories.find((c) => c.name === 'music');
    // TestCategory: the category exists and its folder is not "*" (no job folders).
    expect(music).toBeDefined();
    expect(music?.dir.endsWith('*')).toBe(false);
    expect(
      config.misc.enable_tv_sorting ||
        config.misc.enable_movie_sorting ||
        config.misc.enable_date_sorting,
    ).toBe(false);
    expect(config.misc.pre_check).toBe(false);
    expect(['all', '']).toContain(config.misc.history_retention_option);
    const full = await sab.get(FullStatusResponse, 'fullstatus', { skip_dashboard: 1 });
    expect(full.status.completedir).toBe(stack.config.libraryDir);
  });

  let downloadUrl = '';
  let title = '';

  it('answers an album search with one item per complete album folder, quality in title and attrs', async () => {
    const text = await (
      await fetch(musicSearchUrl(base, API_KEY, ALBUM.artist, ALBUM.album))
    ).text();
    const items = parseFeed(text);
    // The stray single is no album; the peer's name is never markup in the feed.
    expect(items).toHaveLength(1);
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('<b>');
    const [item] = items;
    if (!item) throw new Error('no item');
    // The mean bit rate the peer reported, in the title (Lidarr's quality parser reads it) and attrs.
    const rate = item.attrs.bitrate?.[0] ?? '';
    expect(rate).toMatch(/^[1-9][0-9]*$/);
    expect(item.title).toBe(`${ALBUM.artist} - ${ALBUM.album} (2019) [FLAC ${rate}kbps]`);
    expect(item.artist).toBe(ALBUM.artist);
    expect(item.album).toBe(ALBUM.album);
    expect(item.attrs.format).toEqual(['flac']);
    expect(item.attrs.files).toEqual(['3']);
    expect(item.attrs.category).toContain('3040');
    // The folder's bytes: the three FLAC files the peer shares.
    expect(item.size).toBe(sharedBytes);
    // Lidarr pages while a page is full: the next page is empty, not the same items again.
    const next = parseFeed(
      await (await fetch(musicSearchUrl(base, API_KEY, ALBUM.artist, ALBUM.album, 1))).text(),
    );
    expect(next).toHaveLength(0);
    downloadUrl = item.downloadUrl;
    title = item.title;
  });

  it('serves the enclosure as an NZB Lidarr accepts, and refuses a forged one at addfile', async () => {
    const res = await fetch(downloadUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-nzb/);
    const nzb = await res.text();
    validateNzb(nzb);
    // A token whose payload was edited (another folder) no longer matches its signature.
    const forged = nzb.replace(
      /(<meta type="x-soulspot-release">)([A-Za-z0-9_-]+)/,
      (_m, tag: string, body: string) => {
        const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<
          string,
          unknown
        >;
        payload.username = 'attacker';
        return tag + Buffer.from(JSON.stringify(payload)).toString('base64url');
      },
    );
    expect(forged).not.toBe(nzb);
    const refused = await sab.addFile(forged, 'x.nzb', 'music', -100);
    expect(strict(SabError, refused, 'forged addfile').error).toMatch(/signature/);
    const notOurs = await sab.addFile('<nzb><file/></nzb>', 'x.nzb', 'music', -100);
    expect(notOurs).toMatchObject({ status: false });
  });

  let nzoId = '';

  it('takes the NZB at addfile once: the same NZB again is the same nzo_id and one album', async () => {
    const nzb = await (await fetch(downloadUrl)).text();
    const first = strict(
      AddResponse,
      await sab.addFile(nzb, `${title}.nzb`, 'music', -100),
      'addfile',
    );
    expect(first.nzo_ids).toHaveLength(1);
    nzoId = first.nzo_ids[0] ?? '';
    const again = strict(
      AddResponse,
      await sab.addFile(nzb, `${title}.nzb`, 'music', -100),
      'addfile',
    );
    expect(again.nzo_ids).toEqual([nzoId]);
    const albums = await stack.api<{ items: { artist: string; album: string }[] }>(
      'GET',
      '/api/albums',
    );
    expect(albums.body.items.filter((a) => a.album === ALBUM.album)).toHaveLength(1);
  });

  it('shows the album in the queue, then in the history with the folder Lidarr imports', async () => {
    // Lidarr's GetItems: queue (start 0, limit 0 = all) and history, both for its category.
    const queue = await sab.get(QueueResponse, 'queue', { start: 0, limit: 0, category: 'music' });
    const inQueue = queue.queue.slots.find((s) => s.nzo_id === nzoId);
    const history0 = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'music',
    });
    // Already filed (the emulator is fast) or still queued: in exactly one of the two lists.
    const inHistory0 = history0.history.slots.find((s) => s.nzo_id === nzoId);
    expect(Boolean(inQueue) !== Boolean(inHistory0)).toBe(true);
    if (inQueue) {
      expect(inQueue.cat).toBe('music');
      expect(inQueue.priority).toBe('Default');
      expect(Number(inQueue.mb)).toBeGreaterThan(0);
    }
    const deadline = Date.now() + 60_000;
    let slot;
    while (Date.now() < deadline) {
      const h = await sab.get(HistoryResponse, 'history', {
        start: 0,
        limit: HISTORY_LIMIT,
        category: 'music',
      });
      slot = h.history.slots.find((s) => s.nzo_id === nzoId);
      if (slot && (slot.status === 'Completed' || slot.status === 'Failed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(slot?.status).toBe('Completed');
    expect(slot?.fail_message).toBe('');
    expect(slot?.category).toBe('music');
    // The import path: a folder Lidarr can read, holding the album's three files.
    const storage = slot?.storage ?? '';
    expect(storage.startsWith(stack.config.libraryDir)).toBe(true);
    expect(existsSync(storage)).toBe(true);
    const files = readdirSync(storage).filter((f) => f.endsWith('.flac'));
    expect(files).toHaveLength(3);
    expect(slot?.bytes).toBeGreaterThan(1000);
    // A category Lidarr does not use sees nothing.
    const other = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'tv',
    });
    expect(other.history.slots).toHaveLength(0);
    // Gone from the queue once in the history.
    const after = await sab.get(QueueResponse, 'queue', { start: 0, limit: 0, category: 'music' });
    expect(after.queue.slots.find((s) => s.nzo_id === nzoId)).toBeUndefined();
  });

  it('maps the storage path through lidarrPathMappings (Lidarr sees the library elsewhere)', async () => {
    const patched = await stack.api('PATCH', '/api/settings', {
      lidarrPathMappings: [{ remote: '/lidarr/in', local: stack.config.libraryDir }],
    });
    expect(patched.status).toBe(200);
    const h = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'music',
    });
    const slot = h.history.slots.find((s) => s.nzo_id === nzoId);
    expect(slot?.storage.startsWith('/lidarr/in/')).toBe(true);
    const { config } = await sab.get(ConfigResponse, 'get_config');
    expect(config.misc.complete_dir).toBe('/lidarr/in');
    await stack.api('PATCH', '/api/settings', { lidarrPathMappings: null });
  });

  it('removes the item from the history when Lidarr deletes it after the import', async () => {
    // Sabnzbd.RemoveItem → RemoveFromHistory: name=delete, del_files, value, archive.
    const res = await sab.get(StatusResponse, 'history', {
      name: 'delete',
      del_files: 0,
      value: nzoId,
      archive: 1,
    });
    expect(res.status).toBe(true);
    const h = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'music',
    });
    expect(h.history.slots.find((s) => s.nzo_id === nzoId)).toBeUndefined();
    // The files stay where they were filed (Lidarr moved or copied them itself).
    const albums = await stack.api<{ items: { id: string; album: string; status: string }[] }>(
      'GET',
      '/api/albums',
    );
    expect(albums.body.items.find((a) => a.album === ALBUM.album)?.status).toBe('completed');
  });

  it('fails, retries and deletes a queued album as Lidarr does (history Failed, retry, queue delete)', async () => {
    const feed = parseFeed(
      await (await fetch(musicSearchUrl(base, API_KEY, STUCK.artist, STUCK.album))).text(),
    );
    expect(feed).toHaveLength(1);
    const nzb = await (await fetch(feed[0]?.downloadUrl ?? '')).text();
    const added = strict(AddResponse, await sab.addFile(nzb, 'u.nzb', 'music', 1), 'addfile');
    const id = added.nzo_ids[0] ?? '';
    const queued = await sab.get(QueueResponse, 'queue', { start: 0, limit: 0, category: 'music' });
    expect(queued.queue.slots.find((s) => s.nzo_id === id)?.priority).toBe('High');
    // The user cancels it in SoulSpot: Lidarr sees a failed download with the reason.
    const albums = await stack.api<{ items: { id: string; album: string }[] }>(
      'GET',
      '/api/albums',
    );
    const albumId = albums.body.items.find((a) => a.album === STUCK.album)?.id ?? '';
    const deadline = Date.now() + 30_000;
    while ((await stack.api('POST', `/api/albums/${albumId}/cancel`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the album never had tracks to cancel');
      await new Promise((r) => setTimeout(r, 200));
    }
    const h = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'music',
    });
    const failed = h.history.slots.find((s) => s.nzo_id === id);
    expect(failed?.status).toBe('Failed');
    expect(failed?.fail_message.length).toBeGreaterThan(0);
    expect(failed?.storage).toBe('');
    // Sabnzbd.RetryDownload: back in the queue under the same nzo_id.
    const retried = (await (await fetch(sab.url('retry', { value: id }))).json()) as {
      status: boolean;
      nzo_id: string;
    };
    expect(retried).toEqual({ status: true, nzo_id: id });
    const back = await sab.get(QueueResponse, 'queue', { start: 0, limit: 0, category: 'music' });
    expect(back.queue.slots.find((s) => s.nzo_id === id)).toBeDefined();
    // Sabnzbd.RemoveItem → RemoveFromQueue: the album's tracks are cancelled, the item gone.
    const removed = await sab.get(StatusResponse, 'queue', {
      name: 'delete',
      del_files: 1,
      value: id,
    });
    expect(removed.status).toBe(true);
    const after = await sab.get(QueueResponse, 'queue', { start: 0, limit: 0, category: 'music' });
    expect(after.queue.slots.find((s) => s.nzo_id === id)).toBeUndefined();
    const h2 = await sab.get(HistoryResponse, 'history', {
      start: 0,
      limit: HISTORY_LIMIT,
      category: 'music',
    });
    expect(h2.history.slots.find((s) => s.nzo_id === id)).toBeUndefined();
    const album = await stack.api<{ status: string }>('GET', `/api/albums/${albumId}`);
    expect(album.body.status).toBe('cancelled');
  });

  it('takes the album from the folder Lidarr grabbed, not from the folder ranked first', async () => {
    const items = parseFeed(
      await (await fetch(musicSearchUrl(base, API_KEY, TWICE.artist, TWICE.album))).text(),
    );
    expect(items.map((i) => i.attrs.format?.[0])).toEqual(['flac', 'mp3']);
    const mp3 = items[1]!;
    const nzb = await (await fetch(mp3.downloadUrl)).text();
    const added = strict(
      AddResponse,
      await sab.addFile(nzb, `${mp3.title}.nzb`, 'music', -100),
      'addfile',
    );
    const id = added.nzo_ids[0] ?? '';
    const deadline = Date.now() + 60_000;
    let slot;
    while (Date.now() < deadline) {
      const h = await sab.get(HistoryResponse, 'history', { start: 0, limit: HISTORY_LIMIT });
      slot = h.history.slots.find((s) => s.nzo_id === id);
      if (slot && (slot.status === 'Completed' || slot.status === 'Failed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(slot?.status, slot?.fail_message).toBe('Completed');
    const files = readdirSync(slot?.storage ?? '').filter((f) => /\.(mp3|flac)$/.test(f));
    expect(files.sort()).toEqual(TWICE.titles.map((t) => expect.stringMatching(`${t}\\.mp3$`)));
    const albums = await stack.api<{
      items: { album: string; folder: { username: string; directory: string } | null }[];
    }>('GET', '/api/albums');
    const album = albums.body.items.find((a) => a.album === TWICE.album);
    expect(album?.folder).toMatchObject({
      username: 'twicemp3',
      directory: `@@mp3\\Music\\${TWICE.artist}\\${TWICE.album} (2021)`,
    });
  });

  it('answers input it cannot take in SABnzbd and Newznab shapes, naming the field', async () => {
    const bad = await fetch(`${base}/sabnzbd/api?mode=nonsense&apikey=${API_KEY}&output=json`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/querystring\/mode/);
    const noFile = await fetch(sab.url('addfile', { cat: 'music', priority: 0 }), {
      method: 'POST',
    });
    expect(await noFile.json()).toMatchObject({ status: false });
    const retry = await fetch(sab.url('retry', { value: 'SABnzbd_nzo_unknown' }));
    expect(await retry.json()).toMatchObject({ status: false });
    const badCat = await fetch(`${base}/newznab/api?t=music&cat=abc&apikey=${API_KEY}`);
    expect(badCat.status).toBe(400);
    expect(await badCat.text()).toMatch(/<error code="201" description="querystring\/cat/);
  });
});
