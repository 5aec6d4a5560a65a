import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TransferStatus } from '../provider.js';
import { createSlskdApi } from './slskd.api.js';
import { createSlskdProvider } from './slskd.provider.js';
import { slskdSettings, type SlskdSettings } from './slskd.settings.js';
import { rejection } from '../../../test/helpers/provider-error.js';

// ---------------------------------------------------------------------------------------------
// Hostile and odd HTTP responses, from a tiny node:http server started per test
// ---------------------------------------------------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TinyServer {
  url: string;
  requests: Array<{
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }>;
  close(): Promise<void>;
}

const servers: TinyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function tinyServer(handler: Handler): Promise<TinyServer> {
  const requests: TinyServer['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const tiny: TinyServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(tiny);
  return tiny;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(text);
}

function settingsFor(url: string, extra: Partial<SlskdSettings> = {}): SlskdSettings {
  return slskdSettings({ url, apiKey: 'test-key-0123456789', ...extra });
}

const APPLICATION = {
  version: { full: '0.26.0 (0.26.0)', current: '0.26.0' },
  server: { state: 'Connected, LoggedIn', isConnected: true, isLoggedIn: true },
};

describe('slskd api: hostile responses', () => {
  it('refuses a 20 MB body without buffering it all (streamed, no content-length)', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const server = await tinyServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      let sent = 0;
      const pump = () => {
        while (sent < 20) {
          sent += 1;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    const api = createSlskdApi(settingsFor(server.url, { maxResponseBytes: 2 * 1024 * 1024 }));
    const error = await rejection(api.getAllDownloads());
    expect(error.message).toMatch(/larger than the 2097152-byte limit/);
  });

  it('refuses a body whose content-length is over the cap before reading it', async () => {
    const server = await tinyServer((_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': 20 * 1024 * 1024,
      });
      res.write('[');
      res.on('error', () => undefined);
    });
    const api = createSlskdApi(settingsFor(server.url));
    const error = await rejection(api.getAllDownloads());
    expect(error.message).toMatch(/larger than the 16777216-byte limit/);
  });

  it('names malformed JSON', async () => {
    const server = await tinyServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"username": "x", "directories": [');
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    const error = await rejection(provider.listTransfers());
    expect(error.message).toMatch(/malformed JSON for GET \/transfers\/downloads/);
  });

  it('names the field that fails the schema', async () => {
    const server = await tinyServer((_req, res) =>
      json(res, 200, [
        {
          username: 'bob',
          directories: [
            { directory: 'x', files: [{ id: 't', username: 'bob', filename: 'x\\y' }] },
          ],
        },
      ]),
    );
    const provider = createSlskdProvider(settingsFor(server.url));
    const error = await rejection(provider.listTransfers());
    expect(error.message).toMatch(/unexpected UserGroup\[\].*\/0\/directories\/0\/files\/0/);
    expect(error.message).toMatch(/size|state/);
  });

  it('allows extra fields and missing optional fields', async () => {
    const server = await tinyServer((_req, res) =>
      json(res, 200, [
        {
          username: 'bob',
          someFutureField: { a: 1 },
          directories: [
            {
              directory: 'x',
              files: [
                {
                  id: 't',
                  username: 'bob',
                  filename: 'x\\y.flac',
                  size: 10,
                  state: 'Queued, Remotely',
                  startOffset: 0,
                  stateDescription: 'Queued, Remotely',
                },
              ],
            },
          ],
        },
      ]),
    );
    const provider = createSlskdProvider(settingsFor(server.url));
    const transfers = await provider.listTransfers();
    expect(transfers).toEqual([
      {
        id: 't',
        username: 'bob',
        filename: 'x\\y.flac',
        size: 10,
        state: 'queued_remotely',
        raw: 'Queued, Remotely',
        bytesTransferred: 0,
        averageSpeed: 0,
        percentComplete: 0,
      },
    ]);
  });

  it('sends the API key, JSON content type and one encoded username segment', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url === '/api/v0/application')
        return json(res, 200, { ...APPLICATION, version: { current: '0.25.4' } });
      if (req.method === 'POST') return json(res, 201, { enqueued: [], failed: [{}] });
      return json(res, 200, {
        username: 'we/ird %user',
        directories: [
          {
            directory: 'a',
            files: [
              {
                id: 't9',
                username: 'we/ird %user',
                filename: 'a\\b.mp3',
                size: 5,
                state: 'Requested',
              },
            ],
          },
        ],
      });
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    const transfer = await provider.enqueue({
      batchId: 'b',
      username: 'we/ird %user',
      filename: 'a\\b.mp3',
      size: 5,
    });
    expect(transfer.id).toBe('t9');
    const post = server.requests.find((r) => r.method === 'POST');
    expect(post?.url).toBe('/api/v0/transfers/downloads/we%2Fird%20%25user');
    expect(post?.headers['x-api-key']).toBe('test-key-0123456789');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post?.body ?? '')).toEqual([{ filename: 'a\\b.mp3', size: 5 }]);
  });

  it('turns 401 into slskd_unavailable naming the API key, and health says down', async () => {
    const server = await tinyServer((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer' });
      res.end();
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    const error = await rejection(provider.listTransfers());
    expect(error.code).toBe('slskd_unavailable');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/API key/);
    const health = await provider.health();
    expect(health.state).toBe('down');
    expect(health.message).toMatch(/API key/);
  });

  it('retries 429 with backoff, then succeeds', async () => {
    let calls = 0;
    const server = await tinyServer((_req, res) => {
      calls += 1;
      if (calls <= 2) {
        return json(
          res,
          429,
          'Only one concurrent operation is permitted. Wait until the previous request completes',
        );
      }
      return json(res, 200, { id: 's1', searchText: 'x', state: 'InProgress', responseCount: 0 });
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    await provider.startSearch('s1', 'some artist', 5000);
    expect(calls).toBe(3);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      id: 's1',
      searchText: 'some artist',
      searchTimeout: 5000,
    });
  });

  it('gives rate_limited after the retries are spent', async () => {
    const server = await tinyServer((_req, res) => json(res, 429, 'Only one concurrent operation'));
    const provider = createSlskdProvider(settingsFor(server.url));
    const error = await rejection(provider.startSearch('s1', 'x y', 5000));
    expect(error.code).toBe('rate_limited');
    expect(server.requests.length).toBe(5); // the first try plus 4 retries
  });

  it('maps error bodies that are JSON string literals or empty', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url === '/api/v0/application') return json(res, 200, APPLICATION);
      if (req.url?.startsWith('/api/v0/searches')) {
        return json(res, 409, 'The server connection must be connected and logged in');
      }
      if (req.url === '/api/v0/transfers/downloads/batches') {
        return json(res, 404, 'User bob appears to be offline');
      }
      res.writeHead(500);
      res.end();
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    const search = await rejection(provider.startSearch('s', 'ab cd', 5000));
    expect(search.code).toBe('slskd_unavailable');
    expect(search.message).toMatch(/not logged in/);
    const enqueue = await rejection(
      provider.enqueue({ batchId: 'b', username: 'bob', filename: 'x\\y', size: 1 }),
    );
    expect(enqueue.code).toBe('source_offline');
    expect(enqueue.message).toBe('User bob appears to be offline');
    // A 500 on any other route is slskd's own trouble: downloads wait for it.
    const other = await rejection(provider.listTransfers());
    expect(other.code).toBe('slskd_unavailable');
    expect(other.status).toBe(500);
  });

  it('maps a 400 on enqueue to transfer_rejected and a legacy 500 offline to source_offline', async () => {
    let version = '0.26.0';
    const server = await tinyServer((req, res) => {
      if (req.url === '/api/v0/application') {
        return json(res, 200, { ...APPLICATION, version: { current: version } });
      }
      if (req.url === '/api/v0/transfers/downloads/batches') {
        return json(res, 400, "Filename '..\\x' contains a traversal segment");
      }
      return json(res, 500, 'User bob appears to be offline');
    });
    const request = { batchId: 'b', username: 'bob', filename: 'a\\..\\x', size: 1 };
    const batch = await rejection(createSlskdProvider(settingsFor(server.url)).enqueue(request));
    expect(batch.code).toBe('transfer_rejected');
    expect(batch.message).toMatch(/traversal/);
    version = '0.25.0';
    const legacy = await rejection(createSlskdProvider(settingsFor(server.url)).enqueue(request));
    expect(legacy.code).toBe('source_offline');
  });

  it('classifies an "Error: …" batch failure', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url === '/api/v0/application') return json(res, 200, APPLICATION);
      return json(res, 200, {
        batch: { id: 'b', username: 'bob', transfers: [] },
        failures: [{ filename: 'x\\y.flac', message: 'Error: File not shared.' }],
      });
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    const error = await rejection(
      provider.enqueue({ batchId: 'b', username: 'bob', filename: 'x\\y.flac', size: 1 }),
    );
    expect(error.code).toBe('file_not_found');
  });

  it('treats a 500 duplicate search id as started when the search exists', async () => {
    const server = await tinyServer((req, res) => {
      if (req.method === 'POST') return json(res, 500, 'UNIQUE constraint failed: Searches.Id');
      return json(res, 200, { id: 's1', searchText: 'x', state: 'InProgress', responseCount: 0 });
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    await expect(provider.startSearch('s1', 'ab cd', 5000)).resolves.toBeUndefined();
  });

  it('waits for endedAt and re-reads responses once when slskd saved them late', async () => {
    let phase = 0;
    let responseReads = 0;
    const search = (extra: object) => ({ id: 's1', searchText: 'x', responseCount: 1, ...extra });
    const server = await tinyServer((req, res) => {
      if (req.url?.includes('/responses')) {
        responseReads += 1;
        if (responseReads === 1) return json(res, 200, []);
        return json(res, 200, [
          {
            username: 'u',
            files: [{ filename: 'a\\b\\c.FLAC', size: 5 }],
            hasFreeUploadSlot: true,
          },
        ]);
      }
      phase += 1;
      if (phase === 1)
        return json(res, 200, search({ state: 'Completed, TimedOut', isComplete: true }));
      return json(
        res,
        200,
        search({ state: 'Completed, TimedOut', isComplete: true, endedAt: '2025-01-01T00:00:00Z' }),
      );
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    await expect(provider.getSearch('s1')).resolves.toEqual({ state: 'running', candidates: [] });
    expect(responseReads).toBe(0);
    const done = await provider.getSearch('s1');
    expect(responseReads).toBe(2);
    expect(done.state).toBe('complete');
    expect(done.candidates).toMatchObject([
      { username: 'u', filename: 'a\\b\\c.FLAC', extension: 'flac' },
    ]);
  });

  it('falls back to the directory rule when the event log has nothing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'soulspot-slskd-rule-'));
    try {
      await mkdir(path.join(root, 'Album'));
      await writeFile(path.join(root, 'Album', '01.flac'), 'x');
      const server = await tinyServer((req, res) => {
        if (req.url?.startsWith('/api/v0/options')) {
          return json(res, 200, { directories: { downloads: '/app/downloads' } });
        }
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Total-Count': '1' });
        res.end(JSON.stringify([{ id: 'e', type: 'DownloadFileComplete', data: '{not json' }]));
      });
      const provider = createSlskdProvider(settingsFor(server.url, { downloadsDir: root }));
      const transfer: TransferStatus = {
        id: 't',
        username: 'u',
        filename: '@@x\\Music\\Album\\01.flac',
        size: 1,
        state: 'succeeded',
        raw: 'Completed, Succeeded',
        bytesTransferred: 1,
        averageSpeed: 1,
        percentComplete: 100,
      };
      await expect(provider.localPath(transfer)).resolves.toBe(path.join(root, 'Album', '01.flac'));
      await expect(
        provider.localPath({ ...transfer, filename: '@@x\\Music\\Album\\02.flac' }),
      ).resolves.toBeNull();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('times out a server that never answers', async () => {
    const server = await tinyServer(() => undefined);
    const provider = createSlskdProvider(settingsFor(server.url, { requestTimeoutMs: 300 }));
    // A hanging slskd means downloads wait for it, not a per-source timeout.
    const error = await rejection(provider.listTransfers());
    expect(error.code).toBe('slskd_unavailable');
    const health = await provider.health();
    expect(health).toMatchObject({ state: 'down' });
  });

  it('gives slskd_unavailable when nothing listens, and health never throws', async () => {
    const server = await tinyServer(() => undefined);
    const url = server.url;
    await server.close();
    const provider = createSlskdProvider(settingsFor(url));
    const error = await rejection(provider.listTransfers());
    expect(error.code).toBe('slskd_unavailable');
    expect(error.message).toMatch(/ECONNREFUSED/);
    await expect(provider.health()).resolves.toMatchObject({ state: 'down' });
    await expect(provider.version()).resolves.toBeNull();
    await expect(provider.queuePosition('u', 'id')).resolves.toBeNull();
  });

  it('runs searches one at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await tinyServer((_req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        json(res, 200, { id: 's', searchText: 'x', state: 'Queued' });
      }, 50);
    });
    const provider = createSlskdProvider(settingsFor(server.url));
    await Promise.all([1, 2, 3, 4].map((i) => provider.startSearch(`s${i}`, 'ab cd', 5000)));
    expect(maxInFlight).toBe(1);
    expect(server.requests.length).toBe(4);
  });
});
