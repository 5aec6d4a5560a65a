import { describe, expect, it } from 'vitest';
import { isUnavailableCode, unavailableCode } from '../downloads/error-codes.js';
import { healthBoard } from './health-monitor.js';
import {
  ProviderError,
  type DownloadClient,
  type DownloadProvider,
  type Indexer,
  type TransferStatus,
} from './provider.js';
import { clientFor, createProviderSet, indexerFor } from './provider-set.js';

/** A provider that records which of its methods were called, with what. */
function recording(name: string, transfers: TransferStatus[] = []) {
  const calls: string[] = [];
  const note = (what: string) => calls.push(`${name}.${what}`);
  const transfer = (id: string): TransferStatus => ({
    id,
    username: 'peer',
    filename: 'f.flac',
    size: 1,
    state: 'queued_remotely',
    raw: 'Queued, Remotely',
    bytesTransferred: 0,
    averageSpeed: 0,
    percentComplete: 0,
  });
  const provider: DownloadProvider = {
    name,
    health: () => (note('health'), Promise.resolve({ state: 'up' as const })),
    startSearch: (id) => (note(`startSearch ${id}`), Promise.resolve()),
    getSearch: (id) => (
      note(`getSearch ${id}`),
      Promise.resolve({ state: 'running', candidates: [] })
    ),
    deleteSearch: (id) => (note(`deleteSearch ${id}`), Promise.resolve()),
    listFolder: (source, dir) => (note(`listFolder ${source} ${dir}`), Promise.resolve([])),
    enqueue: (r) => (note(`enqueue ${r.batchId}`), Promise.resolve(transfer(r.batchId))),
    findEnqueued: (r) => (note(`findEnqueued ${r.batchId}`), Promise.resolve(null)),
    listTransfers: () => (note('listTransfers'), Promise.resolve(transfers)),
    cancel: (source, id) => (note(`cancel ${source} ${id}`), Promise.resolve()),
    forget: (source, id) => (note(`forget ${source} ${id}`), Promise.resolve()),
    queuePosition: (source, id) => (note(`queuePosition ${source} ${id}`), Promise.resolve(null)),
    describeFailure: (t) => (
      note(`describeFailure ${t.id}`),
      { code: 'transfer_failed', message: name, daemonRestart: false, final: true }
    ),
    localPath: (t) => (note(`localPath ${t.id}`), Promise.resolve(null)),
    downloadsRoot: () => (note('downloadsRoot'), Promise.resolve(`/${name}`)),
  };
  return { provider, calls, transfer };
}

const request = (batchId: string, provider?: string) => ({
  batchId,
  username: 'peer',
  filename: 'f.flac',
  size: 1,
  ...(provider !== undefined ? { provider } : {}),
});

describe('provider set', () => {
  it('routes each call by the provider it names; a call naming none goes to the first client', async () => {
    const slskd = recording('slskd');
    const torrent = recording('qbittorrent');
    const torznab = recording('torznab');
    const set = createProviderSet({
      indexers: [slskd.provider, torznab.provider],
      clients: [slskd.provider, torrent.provider],
    });
    expect(set.name).toBe('slskd');
    expect(set.ids).toEqual(['slskd', 'torznab', 'qbittorrent']);

    await set.startSearch('s1', 'text', 1000);
    await set.enqueue(request('b1', 'qbittorrent'));
    await set.enqueue(request('b2'));
    await set.findEnqueued(request('b3', 'slskd'));
    set.describeFailure({ ...slskd.transfer('t1'), provider: 'qbittorrent' });
    await set.localPath({ ...slskd.transfer('t2'), provider: 'slskd' });
    await clientFor(set, 'qbittorrent').cancel('peer', 't3');
    await clientFor(set, undefined).forget('peer', 't4');
    await indexerFor(set, 'torznab').listFolder!('indexer', 'Album');

    expect(slskd.calls).toEqual([
      'slskd.startSearch s1',
      'slskd.enqueue b2',
      'slskd.findEnqueued b3',
      'slskd.localPath t2',
      'slskd.forget peer t4',
    ]);
    expect(torrent.calls).toEqual([
      'qbittorrent.enqueue b1',
      'qbittorrent.describeFailure t1',
      'qbittorrent.cancel peer t3',
    ]);
    expect(torznab.calls).toEqual(['torznab.listFolder indexer Album']);
  });

  it('lists every client’s transfers, each tagged with its client', async () => {
    const a = recording('slskd');
    const b = recording('qbittorrent');
    const set = createProviderSet({
      indexers: [a.provider],
      clients: [
        { ...a.provider, listTransfers: () => Promise.resolve([a.transfer('x')]) },
        { ...b.provider, listTransfers: () => Promise.resolve([b.transfer('x')]) },
      ],
    });
    expect((await set.listTransfers()).map((t) => [t.provider, t.id])).toEqual([
      ['slskd', 'x'],
      ['qbittorrent', 'x'],
    ]);
  });

  it('refuses a provider that is not configured with that provider’s unavailable code', () => {
    const set = createProviderSet({
      indexers: [recording('slskd').provider],
      clients: [recording('slskd').provider],
    });
    const refusal = (() => {
      try {
        clientFor(set, 'nzbget');
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(ProviderError);
    expect(refusal).toMatchObject({ code: 'provider_unavailable', provider: 'nzbget' });
  });

  it('is open only when every member’s circuit is open', () => {
    const member = (name: string, circuit: 'closed' | 'open' | 'half-open') => ({
      ...recording(name).provider,
      circuit,
    });
    const set = (...circuits: ('closed' | 'open' | 'half-open')[]) =>
      createProviderSet({
        indexers: [member('slskd', circuits[0]!)],
        clients: circuits.map((c, i) => member(i === 0 ? 'slskd' : `p${i}`, c)),
      }).circuit;
    expect(set('open')).toBe('open');
    expect(set('closed')).toBe('closed');
    expect(set('open', 'closed')).toBe('closed');
    expect(set('open', 'half-open')).toBe('half-open');
    expect(set('open', 'open')).toBe('open');
  });

  it('hands a single provider back as itself (tests and benchmarks pass one directly)', () => {
    const { provider } = recording('slskd');
    expect(clientFor(provider, 'slskd')).toBe(provider);
    expect(indexerFor(provider, 'slskd')).toBe(provider);
  });

  it('keeps the roles apart: an indexer-only and a client-only provider make a set', () => {
    const { provider: both } = recording('slskd');
    const { listTransfers: _l, ...indexerOnly } = both;
    const indexer: Indexer = indexerOnly;
    const client: DownloadClient = both;
    expect(() => createProviderSet({ indexers: [indexer], clients: [] })).toThrow();
    expect(createProviderSet({ indexers: [indexer], clients: [client] }).ids).toEqual(['slskd']);
  });
});

describe('provider unavailable', () => {
  it('is slskd_unavailable on the wire for slskd, provider_unavailable for any other', () => {
    expect(unavailableCode('slskd')).toBe('slskd_unavailable');
    expect(unavailableCode('qbittorrent')).toBe('provider_unavailable');
    // Not an own property of the table: no prototype key makes a provider "known".
    expect(unavailableCode('constructor')).toBe('provider_unavailable');
    expect(isUnavailableCode('slskd_unavailable')).toBe(true);
    expect(isUnavailableCode('provider_unavailable')).toBe(true);
    expect(isUnavailableCode('network_error')).toBe(false);
  });
});

describe('health board', () => {
  it('is one entry per provider, up only when all are', () => {
    const monitor = (name: string, state: 'up' | 'down' | 'unknown') => ({
      name,
      current: { state, checkedAt: null },
    });
    const board = healthBoard([monitor('slskd', 'up'), monitor('sabnzbd', 'down')]);
    expect(board.providers).toEqual({
      slskd: { state: 'up', checkedAt: null },
      sabnzbd: { state: 'down', checkedAt: null },
    });
    expect(board.allUp).toBe(false);
    expect(healthBoard([monitor('slskd', 'up')]).allUp).toBe(true);
  });
});
