import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startInn,
  startNzbget,
  type Inn,
  type NzbgetDaemon,
} from '../../../test/helpers/daemons/usenet.js';
import { postAlbum, type UsenetAlbum } from '../../../test/helpers/daemons/nzb.js';
import { waitUntil } from '../../../test/helpers/wait.js';
import { ProviderError, type EnqueueRequest, type TransferStatus } from '../provider.js';
import { createNzbgetProvider, type NzbgetProvider } from './nzbget.provider.js';
import { nzbgetSettings, type NzbgetSettings } from './nzbget.settings.js';

// Real daemons on loopback: a private INN, NZBGet 21, NZBs of yEnc-posted FLAC tones.

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const shaOf = async (file: string) => sha(await readFile(file));

let inn: Inn;
let nzbget: NzbgetDaemon;
let album: UsenetAlbum;
let settings: NzbgetSettings;
let provider: NzbgetProvider;

function request(nzbName: string, extra: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return {
    provider: 'nzbget',
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

async function finished(p: NzbgetProvider, id: string): Promise<TransferStatus> {
  return waitUntil(
    async () => {
      const t = (await p.listTransfers()).find((x) => x.id === id);
      return t && ['succeeded', 'errored', 'rejected', 'cancelled'].includes(t.state) ? t : null;
    },
    { what: `NZBGet job ${id} to finish`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** localPath answers null until the client has moved the files into place: ask until it names one. */
function fileOf(p: NzbgetProvider, transfer: TransferStatus): Promise<string> {
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
  nzbget = await startNzbget({ nntpPort: inn.port });
  settings = nzbgetSettings({
    url: nzbget.url,
    username: nzbget.username,
    password: nzbget.password,
    nzbFetch: { maxBytes: 1024 * 1024, timeoutMs: 10_000, policy: { allowLoopback: true } },
  });
  provider = createNzbgetProvider(settings);
}, 120_000);

afterAll(async () => {
  await nzbget?.stop();
  await album?.close();
  await inn?.stop();
});

describe('NZBGet provider (real NZBGet, real INN)', () => {
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
  }, 90_000);

  it('finds the job again by batch id after a restart, and never adds it twice', async () => {
    const restarted = createNzbgetProvider(settings);
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

  it('an NZB with a missing article fails with file_not_found and a clear message', async () => {
    const queued = await provider.enqueue(request('broken.nzb'));
    const done = await finished(provider, queued.id);
    expect(done.state).toBe('errored');
    const failure = provider.describeFailure(done);
    expect(failure).toMatchObject({ code: 'file_not_found', final: true, daemonRestart: false });
    expect(failure.message).toMatch(/articles are missing/);
    expect(failure.message).toMatch(/health/);
    expect(await provider.localPath(done)).toBeNull();
  }, 90_000);

  it('picks the wanted track from a multi-file NZB, and only downloads that one', async () => {
    const want = { artist: album.artist, title: 'Beta', album: album.album };
    const req = request('album.nzb', { want });
    const queued = await provider.enqueue(req);
    const done = await finished(provider, queued.id);
    expect(done.state).toBe('succeeded');
    // A new client object (a restart) still knows the wanted track: it is on the job.
    const file = await fileOf(createNzbgetProvider(settings), done);
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
    const view = await mkdtemp(path.join(tmpdir(), 'soulspot-nzbget-view-'));
    try {
      // SoulSpot sees NZBGet's DestDir under another path (here: a copy of it).
      await cp(nzbget.destDir, view, { recursive: true });
      const mapped = createNzbgetProvider({
        ...settings,
        pathMappings: [{ remote: nzbget.destDir, local: view }],
      });
      expect(await mapped.downloadsRoot()).toBe(view);
      const file = await fileOf(mapped, alpha.transfer);
      expect(file!.startsWith(`${await realpath(view)}/`)).toBe(true);
      expect(await shaOf(file!)).toBe(sha(album.tracks[0]!.data));

      const unmapped = createNzbgetProvider({ ...settings, downloadsDir: view });
      await expect(unmapped.localPath(alpha.transfer)).rejects.toMatchObject({
        code: 'file_not_found',
      });
    } finally {
      await rm(view, { recursive: true, force: true });
    }
  });

  it('cancel of a job still in the queue removes it, leaving no history entry and no files', async () => {
    const rpc = (method: string) =>
      fetch(`${nzbget.url}/jsonrpc`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`nzbget:${nzbget.password}`).toString('base64')}`,
        },
        body: JSON.stringify({ method, params: [] }),
      });
    await rpc('pausedownload');
    try {
      const queued = await provider.enqueue(request('album.nzb'));
      expect(queued.state).toBe('queued_locally');
      await provider.cancel('test-indexer', queued.id);
      expect((await provider.listTransfers()).some((t) => t.id === queued.id)).toBe(false);
      const leftovers = await readdir(path.join(nzbget.dir, 'inter')).catch(() => []);
      expect(leftovers.filter((name) => name.includes(queued.batchId ?? '?'))).toEqual([]);
    } finally {
      await rpc('resumedownload');
    }
  });

  it('forget drops the history entry and keeps the file', async () => {
    await provider.forget(alpha.request.username, alpha.transfer.id);
    expect((await provider.listTransfers()).some((t) => t.id === alpha.transfer.id)).toBe(false);
    expect(await shaOf(alpha.file)).toBe(sha(album.tracks[0]!.data));
  });

  it('wrong credentials: health is down and calls fail with a clear error', async () => {
    const wrong = createNzbgetProvider({ ...settings, password: 'not-the-password' });
    const health = await wrong.health();
    expect(health.state).toBe('down');
    expect(health.message).toMatch(/refused the username or password/);
    const error = await wrong.listTransfers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'provider_unavailable' });
    expect(String((error as Error).message)).not.toContain('not-the-password');
  });
});
