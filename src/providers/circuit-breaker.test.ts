import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../emulator/emulator.js';
import { createEventBus } from '../events/event-bus.js';
import { withCircuitBreaker } from './circuit-breaker.js';
import { ProviderError } from './provider.js';
import { createQbittorrentProvider } from './qbittorrent/qbittorrent.provider.js';
import { qbittorrentSettings } from './qbittorrent/qbittorrent.settings.js';
import { clientOnly } from './single-role.js';
import { createSlskdProvider } from './slskd/slskd.provider.js';
import { slskdSettings } from './slskd/slskd.settings.js';

describe('circuit breaker in front of slskd', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
  });

  const setup = async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-cb-'));
    emulator = await createEmulator({
      apiKey: 'cb-key-0123456789abcdef',
      downloadsDir: path.join(root, 'dl'),
      incompleteDir: path.join(root, 'inc'),
      users: [],
    });
    const bus = createEventBus();
    const states: string[] = [];
    bus.on('provider.circuit', (e) => states.push(e.circuit));
    const inner = createSlskdProvider(
      slskdSettings({
        url: emulator.url,
        apiKey: 'cb-key-0123456789abcdef',
        requestTimeoutMs: 1000,
      }),
    );
    const provider = withCircuitBreaker(inner, { threshold: 3, halfOpenAfterMs: 300, bus });
    return { provider, states, emulator };
  };

  it('opens after consecutive daemon failures, sends nothing while open, and closes after a good probe', async () => {
    const { provider, states, emulator: emu } = await setup();
    expect((await provider.health()).state).toBe('up');
    await emu.stop();
    for (let i = 0; i < 3; i++)
      await expect(provider.listTransfers()).rejects.toBeInstanceOf(ProviderError);
    expect(provider.circuit).toBe('open');
    await emu.start();
    const before = emu.requestCounts['GET /transfers/downloads'] ?? 0;
    // Open: the call fails at once without reaching slskd, and downloads read that as "wait".
    const error = await provider.listTransfers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('slskd_unavailable');
    expect(emu.requestCounts['GET /transfers/downloads'] ?? 0).toBe(before);
    expect((await provider.health()).state).toBe('down');

    await new Promise((r) => setTimeout(r, 350));
    expect((await provider.health()).state).toBe('up');
    expect(provider.circuit).toBe('closed');
    expect(await provider.listTransfers()).toEqual([]);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('counts "not logged in to Soulseek" as down', async () => {
    const { provider, emulator: emu } = await setup();
    emu.setLoggedIn(false);
    for (let i = 0; i < 3; i++) expect((await provider.health()).state).toBe('down');
    expect(provider.circuit).toBe('open');
    // The calls held back say why: slskd answers, it is only off Soulseek.
    await expect(provider.listTransfers()).rejects.toThrow(
      /^slskd is not logged in to Soulseek \(server state: Disconnected\); waiting for it to come back \(circuit open\)$/,
    );
    emu.setLoggedIn(true);
    expect((await provider.health()).state).toBe('up');
    expect(provider.circuit).toBe('closed');
    expect(await provider.listTransfers()).toEqual([]);
  });

  it('does not open for peer problems', async () => {
    const { provider } = await setup();
    for (let i = 0; i < 5; i++) {
      await expect(
        provider.enqueue({
          batchId: crypto.randomUUID(),
          username: 'nobody-here',
          filename: '@@x\\a\\b.flac',
          size: 10,
        }),
      ).rejects.toMatchObject({ code: 'source_offline' });
    }
    expect(provider.circuit).toBe('closed');
  });
});

/**
 * A folder listing makes slskd connect to the peer: a peer that never answers is normal on
 * Soulseek, so browse timeouts and failures are the peer's and must not open the circuit (before:
 * they were `slskd_unavailable`, and three opened it, failing unrelated searches "circuit open").
 * A loopback server plays slskd: it answers the search routes and holds or fails the listings.
 */
describe('circuit breaker and folder listings', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const fakeSlskd = async (directory: (res: ServerResponse) => void) => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.includes('/directory')) return directory(res);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: req.url?.split('/').pop()?.split('?')[0],
            searchText: 'x',
            state: 'Completed, Succeeded',
            isComplete: true,
            fileCount: 0,
            lockedFileCount: 0,
            responseCount: 0,
            responses: [],
            startedAt: new Date().toISOString(),
          }),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const bus = createEventBus();
    const inner = createSlskdProvider(
      slskdSettings({
        url: `http://127.0.0.1:${port}`,
        apiKey: 'cb-key-0123456789abcdef',
        requestTimeoutMs: 150,
      }),
    );
    return withCircuitBreaker(inner, { threshold: 3, halfOpenAfterMs: 60_000, bus });
  };

  it('a browse that times out is a timeout and leaves the circuit closed', async () => {
    // Never answers: the request times out on our side.
    const provider = await fakeSlskd(() => undefined);
    for (let i = 0; i < 4; i++) {
      await expect(provider.listFolder!('slowpeer', '@@p\\Music\\A')).rejects.toMatchObject({
        code: 'timeout',
      });
    }
    expect(provider.circuit).toBe('closed');
    // An unrelated search call still goes through.
    await expect(provider.getSearch('00000000-0000-4000-8000-000000000000')).resolves.toBeTruthy();
  });

  it('a browse that slskd answers with 500 is the peer’s failure, not the daemon’s', async () => {
    const provider = await fakeSlskd((res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify('Failed to establish a direct or indirect message connection'));
    });
    for (let i = 0; i < 4; i++) {
      const error = (await provider.listFolder!('p', '@@p\\A').catch((e: unknown) => e)) as {
        code: string;
      };
      expect(error.code).not.toBe('slskd_unavailable');
    }
    expect(provider.circuit).toBe('closed');
  });

  it("passes the client's traits through: its source limit and whether it keeps its files", async () => {
    const bus = createEventBus();
    // Nothing is called here: only the wrapper's properties are read.
    const slskd = withCircuitBreaker(
      createSlskdProvider(slskdSettings({ url: 'http://127.0.0.1:9' })),
      { threshold: 3, halfOpenAfterMs: 300, bus },
    );
    expect(slskd.keepsFiles).toBeUndefined();
    expect(slskd.sourceLimit).toBe('per-source');
    const keeper = withCircuitBreaker(
      { ...slskd, sourceLimit: 'none', keepsFiles: true },
      { threshold: 3, halfOpenAfterMs: 300, bus },
    );
    expect(keeper.keepsFiles).toBe(true);
    expect(keeper.sourceLimit).toBe('none');
  });
});

/**
 * `releaseFiles` reads an indexer's document, not the client: it passes the circuit by, so it
 * neither closes a circuit open for a client that is down nor is refused by it. qBittorrent is
 * played by a closed loopback port; a loopback server serves the .torrent.
 */
describe('circuit breaker and release files', () => {
  it('reads a release while the client is down, and a read never closes the circuit', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    // A one-file torrent, bencoded by hand (keys in order).
    const torrent = Buffer.from(
      'd4:infod6:lengthi5e4:name6:a.flac12:piece lengthi16384e6:pieces20:' + 'x'.repeat(20) + 'ee',
    );
    const links = createServer((_req, res) => void res.writeHead(200).end(torrent));
    await new Promise<void>((resolve) => links.listen(0, '127.0.0.1', resolve));
    const linkPort = (links.address() as AddressInfo).port;
    try {
      const bus = createEventBus();
      const client = withCircuitBreaker(
        clientOnly(
          createQbittorrentProvider(
            qbittorrentSettings({
              url: `http://127.0.0.1:${deadPort}`,
              username: 'u',
              password: 'p',
              allowPrivateIndexerLinks: true,
              requestTimeoutMs: 1000,
            }),
          ),
        ),
        { threshold: 2, halfOpenAfterMs: 200, bus },
      );
      for (let i = 0; i < 2; i++) expect((await client.health()).state).toBe('down');
      expect(client.circuit).toBe('open');
      const release = {
        protocol: 'torrent' as const,
        indexer: 'ix',
        guid: 'g',
        title: 'A',
        link: `http://127.0.0.1:${linkPort}/a.torrent`,
        size: 5,
        categories: [],
      };
      expect(await client.releaseFiles!(release)).toEqual([{ path: 'a.flac', size: 5 }]);
      // Past the half-open wait, the first call through would be the probe: a read is not it.
      await new Promise((r) => setTimeout(r, 250));
      expect(await client.releaseFiles!(release)).toEqual([{ path: 'a.flac', size: 5 }]);
      expect(client.circuit).not.toBe('closed');
      expect((await client.health()).state).toBe('down');
      expect(client.circuit).toBe('open');
    } finally {
      await new Promise((resolve) => links.close(resolve));
    }
  });
});
