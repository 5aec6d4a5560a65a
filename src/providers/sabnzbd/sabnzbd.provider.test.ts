import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startInn,
  startSabnzbd,
  type Inn,
  type SabnzbdDaemon,
} from '../../../test/helpers/daemons/usenet.js';
import { postAlbum, type UsenetAlbum } from '../../../test/helpers/daemons/nzb.js';
import { waitUntil } from '../../../test/helpers/wait.js';
import { ProviderError, type EnqueueRequest, type TransferStatus } from '../provider.js';
import { expectedBytesOf } from './sabnzbd.api.js';
import { createSabnzbdProvider, type SabnzbdProvider } from './sabnzbd.provider.js';
import { sabnzbdSettings, type SabnzbdSettings } from './sabnzbd.settings.js';

// Real daemons on loopback: a private INN, SABnzbd 3.7, NZBs of yEnc-posted FLAC tones.

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const shaOf = async (file: string) => sha(await readFile(file));

let inn: Inn;
let sab: SabnzbdDaemon;
let album: UsenetAlbum;
let settings: SabnzbdSettings;
let provider: SabnzbdProvider;

function request(nzbName: string, extra: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return {
    provider: 'sabnzbd',
    batchId: randomUUID(),
    username: 'test-indexer',
    filename: `${album.artist} - ${album.album}`,
    size: 100_000,
    release: {
      protocol: 'usenet',
      indexer: 'test-indexer',
      guid: nzbName,
      title: `${album.artist} - ${album.album} FLAC`,
      link: album.nzbs.url(nzbName),
      size: 100_000,
      categories: [3040],
    },
    ...extra,
  };
}

async function finished(p: SabnzbdProvider, id: string): Promise<TransferStatus> {
  return waitUntil(
    async () => {
      const t = (await p.listTransfers()).find((x) => x.id === id);
      return t && ['succeeded', 'errored', 'rejected', 'cancelled'].includes(t.state) ? t : null;
    },
    { what: `SABnzbd job ${id} to finish`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** SABnzbd's own history entry for a job, read straight from its API. */
async function historySlot(id: string): Promise<{ nzb_name: string; bytes: number }> {
  const reply = await fetch(`${sab.url}/api?mode=history&output=json&apikey=${sab.apiKey}`);
  const body = (await reply.json()) as {
    history: { slots: Array<{ nzo_id: string; nzb_name: string; bytes: number }> };
  };
  const slot = body.history.slots.find((s) => s.nzo_id === id);
  if (slot === undefined) throw new Error(`SABnzbd has no history entry ${id}`);
  return slot;
}

/** localPath answers null until the client has moved the files into place: ask until it names one. */
function fileOf(p: SabnzbdProvider, transfer: TransferStatus): Promise<string> {
  const started = Date.now();
  return waitUntil(() => p.localPath(transfer, { waitedMs: Date.now() - started }), {
    what: `the finished file of job ${transfer.id}`,
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

beforeAll(async () => {
  inn = await startInn();
  album = await postAlbum(inn);
  album.nzbs.put('alpha.nzb', album.single(0));
  album.nzbs.put('album.nzb', album.whole());
  album.nzbs.put('broken.nzb', album.broken(1));
  sab = await startSabnzbd({ nntpPort: inn.port });
  settings = sabnzbdSettings({
    url: sab.url,
    apiKey: sab.apiKey,
    nzbFetch: { maxBytes: 1024 * 1024, timeoutMs: 10_000, policy: { allowLoopback: true } },
  });
  provider = createSabnzbdProvider(settings);
}, 120_000);

afterAll(async () => {
  await sab?.stop();
  await album?.close();
  await inn?.stop();
});

describe('SABnzbd provider (real SABnzbd, real INN)', () => {
  let alpha: { request: EnqueueRequest; transfer: TransferStatus; file: string };

  it('is up, with its version, and takes Usenet without a per-source limit', async () => {
    const health = await provider.health();
    expect(health).toMatchObject({ state: 'up', version: expect.stringMatching(/^\d+\.\d+/) });
    expect(provider.sourceLimit).toBe('none');
  });

  it('downloads an NZB of yEnc articles: the file is identical to the one posted', async () => {
    const req = request('alpha.nzb');
    const queued = await provider.enqueue(req);
    expect(queued.batchId).toBe(req.batchId);
    const done = await finished(provider, queued.id);
    expect(done.state).toBe('succeeded');
    const file = await fileOf(provider, done);
    expect(path.basename(file!)).toBe(album.tracks[0]!.name);
    expect(await shaOf(file!)).toBe(sha(album.tracks[0]!.data));
    alpha = { request: req, transfer: done, file: file! };
    // What the truncated-file check rests on: a whole job's downloaded bytes are the posted bytes
    // recorded in its upload name (SABnzbd counts the NZB's segment bytes).
    const slot = await historySlot(done.id);
    expect(expectedBytesOf(slot.nzb_name)).toBe(
      album.tracks[0]!.file.segments.reduce((n, s) => n + s.bytes, 0),
    );
    expect(slot.bytes).toBe(expectedBytesOf(slot.nzb_name));
  }, 90_000);

  it('finds the job again by batch id after a restart, and never adds it twice', async () => {
    const restarted = createSabnzbdProvider(settings);
    const found = await restarted.findEnqueued(alpha.request);
    expect(found?.id).toBe(alpha.transfer.id);
    const fetchesBefore = album.nzbs.hits.get('alpha.nzb');
    const again = await restarted.enqueue(alpha.request);
    expect(again.id).toBe(alpha.transfer.id);
    expect(album.nzbs.hits.get('alpha.nzb')).toBe(fetchesBefore);
    const same = (await restarted.listTransfers()).filter(
      (t) => t.batchId === alpha.request.batchId,
    );
    expect(same).toHaveLength(1);
    expect(await restarted.findEnqueued(request('alpha.nzb'))).toBeNull();
  });

  it('an NZB with a missing article fails with file_not_found, though SABnzbd calls it Completed', async () => {
    const queued = await provider.enqueue(request('broken.nzb'));
    const done = await finished(provider, queued.id);
    expect(done.state).toBe('errored');
    const failure = provider.describeFailure(done);
    expect(failure).toMatchObject({ code: 'file_not_found', final: true, daemonRestart: false });
    expect(failure.message).toMatch(/articles are missing/);
    // SABnzbd's gotcha: a truncated file, status Completed; only the stage log tells.
    expect(done.raw).toBe('Completed');
    expect(failure.message).toMatch(/articles were missing/);
    // The bytes tell it even when SABnzbd's report missed the count (it can, see shortfallNote).
    const slot = await historySlot(done.id);
    expect(slot.bytes).toBeLessThan(expectedBytesOf(slot.nzb_name)!);
    expect(await provider.localPath(done)).toBeNull();
  }, 90_000);

  it('picks the wanted track from a multi-file NZB, and only downloads that one', async () => {
    const want = { artist: album.artist, title: 'Beta', album: album.album };
    const req = request('album.nzb', { want });
    const queued = await provider.enqueue(req);
    const done = await finished(provider, queued.id);
    expect(done.state).toBe('succeeded');
    // A new client object (a restart) has no memory of the wanted track: the job holds only it.
    const file = await fileOf(createSabnzbdProvider(settings), done);
    expect(path.basename(file!)).toBe(album.tracks[1]!.name);
    expect(await shaOf(file!)).toBe(sha(album.tracks[1]!.data));
    const folder = path.dirname(file!);
    await expect(stat(path.join(folder, album.tracks[0]!.name))).rejects.toThrow();

    // cancel: the job and its files go.
    await provider.cancel(req.username, done.id);
    await expect(stat(folder)).rejects.toThrow();
    expect((await provider.listTransfers()).some((t) => t.id === done.id)).toBe(false);
  }, 90_000);

  it('applies the remote path mappings, and refuses a folder outside the downloads root', async () => {
    const view = await mkdtemp(path.join(tmpdir(), 'soulspot-sab-view-'));
    try {
      // SoulSpot sees SABnzbd's DestDir under another path (here: a copy of it).
      await cp(sab.completeDir, view, { recursive: true });
      const mapped = createSabnzbdProvider({
        ...settings,
        pathMappings: [{ remote: sab.completeDir, local: view }],
      });
      expect(await mapped.downloadsRoot()).toBe(view);
      const file = await fileOf(mapped, alpha.transfer);
      expect(file!.startsWith(`${await realpath(view)}/`)).toBe(true);
      expect(await shaOf(file!)).toBe(sha(album.tracks[0]!.data));

      const unmapped = createSabnzbdProvider({ ...settings, downloadsDir: view });
      await expect(unmapped.localPath(alpha.transfer)).rejects.toMatchObject({
        code: 'file_not_found',
      });
    } finally {
      await rm(view, { recursive: true, force: true });
    }
  });

  it('cancel of a job still in the queue removes it, leaving no history entry and no files', async () => {
    const mode = (name: string) =>
      fetch(`${sab.url}/api?mode=${name}&apikey=${sab.apiKey}&output=json`);
    await mode('pause');
    try {
      const queued = await provider.enqueue(request('album.nzb'));
      expect(queued.state).toBe('queued_locally');
      await provider.cancel('test-indexer', queued.id);
      expect((await provider.listTransfers()).some((t) => t.id === queued.id)).toBe(false);
      const leftovers = await readdir(path.join(sab.dir, 'incomplete')).catch(() => []);
      expect(leftovers.filter((name) => name.includes(queued.batchId ?? '?'))).toEqual([]);
    } finally {
      await mode('resume');
    }
  });

  it('forget drops the history entry and keeps the file', async () => {
    await provider.forget(alpha.request.username, alpha.transfer.id);
    expect((await provider.listTransfers()).some((t) => t.id === alpha.transfer.id)).toBe(false);
    expect(await shaOf(alpha.file)).toBe(sha(album.tracks[0]!.data));
  });

  it('wrong credentials: health is down and calls fail with a clear error', async () => {
    const wrong = createSabnzbdProvider({ ...settings, apiKey: 'not-the-password' });
    const health = await wrong.health();
    expect(health.state).toBe('down');
    expect(health.message).toMatch(/refused the API key/);
    const error = await wrong.listTransfers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'provider_unavailable' });
    expect(String((error as Error).message)).not.toContain('not-the-password');
  });
});
