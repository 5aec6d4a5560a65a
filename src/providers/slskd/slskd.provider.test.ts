import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, type SimUser } from '../../../emulator/emulator.js';
import { ProviderError, type TransferStatus } from '../provider.js';
import { createSlskdApi } from './slskd.api.js';
import { classifyTransferFailure, isFinalTransfer } from './slskd.mapping.js';
import { createSlskdProvider, type SlskdProvider } from './slskd.provider.js';
import { slskdSettings, type SlskdSettings } from './slskd.settings.js';

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

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
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

// ---------------------------------------------------------------------------------------------
// Against the slskd emulator, over real HTTP
// ---------------------------------------------------------------------------------------------

const AUDIO = path.resolve(fileURLToPath(new URL('../../../fixtures/audio/', import.meta.url)));
const KEY = 'emulator-key-0123456789';
const ALBUM = '@@alic3\\Music\\Artist\\Album (2001)';
const TONE_A = `${ALBUM}\\01 - Tone A.flac`;
const TONE_B = `${ALBUM}\\02 - Tone B.flac`;
const TONE_C = '@@dav3\\Music\\Other\\Singles\\03 - Tone C.mp3';
const TONE_D = '@@car0l\\Music\\Other\\Rare\\04 - Tone D.mp3';

async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function settled(provider: SlskdProvider, id: string): Promise<TransferStatus> {
  return waitFor(async () => {
    const found = (await provider.listTransfers()).find((t) => t.id === id);
    return found !== undefined && isFinalTransfer(found) ? found : null;
  }, `transfer ${id} to finish`);
}

function users(): SimUser[] {
  return [
    {
      username: 'alice',
      files: [
        { remotePath: TONE_A, localPath: path.join(AUDIO, 'tone-a.flac') },
        { remotePath: TONE_B, localPath: path.join(AUDIO, 'tone-b.flac') },
      ],
    },
    {
      username: 'bob',
      files: [
        {
          remotePath: '@@b0b\\Music\\Tone\\05 - Tone.flac',
          localPath: path.join(AUDIO, 'tone-b.flac'),
        },
      ],
      behaviour: { offline: true },
    },
    {
      username: 'carol',
      files: [{ remotePath: TONE_D, localPath: path.join(AUDIO, 'tone-d.mp3') }],
      behaviour: { reject: 'File not shared.' },
    },
    {
      username: 'dave',
      files: [{ remotePath: TONE_C, localPath: path.join(AUDIO, 'tone-c.mp3') }],
      behaviour: { stuckInQueue: true },
    },
    {
      username: 'erin',
      files: [
        {
          remotePath: '@@er1n\\Music\\X\\Y\\06 - Tone.flac',
          localPath: path.join(AUDIO, 'tone-a.flac'),
        },
      ],
      behaviour: { failAfterBytes: 1000 },
    },
  ];
}

async function tempDirs() {
  const root = await mkdtemp(path.join(tmpdir(), 'soulspot-slskd-'));
  const downloadsDir = path.join(root, 'downloads');
  const incompleteDir = path.join(root, 'incomplete');
  await mkdir(downloadsDir);
  await mkdir(incompleteDir);
  return { root, downloadsDir, incompleteDir };
}

describe('slskd provider against the emulator (0.26)', () => {
  let emulator: Emulator;
  let provider: SlskdProvider;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;

  beforeAll(async () => {
    dirs = await tempDirs();
    emulator = await createEmulator({
      apiKey: KEY,
      downloadsDir: dirs.downloadsDir,
      incompleteDir: dirs.incompleteDir,
      users: users(),
      tickMs: 50,
      searchTimeoutCapMs: 600,
      // slskd 0.26's default of 3 attempts, with short delays
      retry: { attempts: 3, delayMs: 50, maxDelayMs: 100 },
    });
    provider = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, cancelWaitMs: 5000 }),
    );
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dirs.root, { recursive: true, force: true });
  });

  it('reports health up with the version, down when not logged in or stopped', async () => {
    await expect(provider.health()).resolves.toEqual({ state: 'up', version: '0.26.0' });
    await expect(provider.version()).resolves.toBe('0.26.0');

    emulator.setLoggedIn(false);
    const loggedOut = await provider.health();
    expect(loggedOut.state).toBe('down');
    expect(loggedOut.message).toMatch(/not (logged in|connected)/);
    expect(loggedOut.offline).toBe(true);
    const refusedId = randomUUID();
    const search = await rejection(provider.startSearch(refusedId, 'tone flac', 1000));
    expect(search.code).toBe('slskd_unavailable');
    // slskd keeps the refused search as "Completed, Errored" with no results: that must read as
    // lost (search again), never as "nothing found".
    await expect(provider.getSearch(refusedId)).resolves.toEqual({
      state: 'missing',
      candidates: [],
    });
    emulator.setLoggedIn(true);

    await emulator.stop();
    try {
      const stopped = await provider.health();
      expect(stopped.state).toBe('down');
      expect(stopped.message).toMatch(/unreachable/);
      const error = await rejection(provider.listTransfers());
      expect(error.code).toBe('slskd_unavailable');
    } finally {
      await emulator.start();
    }
    await expect(provider.health()).resolves.toMatchObject({ state: 'up' });
  });

  it('refuses a wrong API key', async () => {
    const wrong = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: 'wrong-key-0123456789' }),
    );
    const health = await wrong.health();
    expect(health.state).toBe('down');
    expect(health.message).toMatch(/API key/);
  });

  it('runs a search and returns candidates only once it completed', async () => {
    const id = randomUUID();
    await provider.startSearch(id, 'Tone', 500);
    const first = await provider.getSearch(id);
    expect(first).toEqual({ state: 'running', candidates: [] });
    const done = await waitFor(async () => {
      const snapshot = await provider.getSearch(id);
      return snapshot.state === 'complete' ? snapshot : null;
    }, 'the search to complete');
    const names = done.candidates.map((c) => `${c.username} ${c.filename}`).sort();
    expect(names).toContain(`alice ${TONE_A}`);
    expect(names).toContain(`alice ${TONE_B}`);
    expect(done.candidates.some((c) => c.username === 'bob')).toBe(false);
    const toneA = done.candidates.find((c) => c.filename === TONE_A);
    expect(toneA).toMatchObject({ provider: 'slskd', extension: 'flac', hasFreeUploadSlot: true });
    expect(toneA?.size).toBe((await stat(path.join(AUDIO, 'tone-a.flac'))).size);

    await provider.deleteSearch(id);
    await expect(provider.getSearch(id)).resolves.toEqual({ state: 'missing', candidates: [] });
    await expect(provider.deleteSearch(id)).resolves.toBeUndefined();
  });

  it('says missing for an unknown search', async () => {
    await expect(provider.getSearch(randomUUID())).resolves.toEqual({
      state: 'missing',
      candidates: [],
    });
  });

  it('enqueues through a batch, finds it again by batch id, and reads its local file', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const request = { batchId: randomUUID(), username: 'alice', filename: TONE_A, size };
    const transfer = await provider.enqueue(request);
    expect(transfer).toMatchObject({
      username: 'alice',
      filename: TONE_A,
      size,
      batchId: request.batchId,
    });
    expect(emulator.enqueues.filter((e) => e.batchId === request.batchId)).toHaveLength(1);

    const found = await provider.findEnqueued(request);
    expect(found?.id).toBe(transfer.id);
    await expect(provider.findEnqueued({ ...request, batchId: randomUUID() })).resolves.toBeNull();

    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await provider.localPath(finished);
    expect(local).toBe(path.join(dirs.downloadsDir, 'Album (2001)', '01 - Tone A.flac'));
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));

    // The same file again supersedes the finished record and lands under a renamed name on disk:
    // only the event log knows that name (the directory rule would point at the first file).
    const eventsBefore = emulator.requestCounts['GET /events'] ?? 0;
    const second = await provider.enqueue({ ...request, batchId: randomUUID() });
    expect(second.id).not.toBe(transfer.id);
    const secondDone = await settled(provider, second.id);
    const renamed = await provider.localPath(secondDone);
    expect(emulator.requestCounts['GET /events'] ?? 0).toBeGreaterThan(eventsBefore);
    expect(renamed).not.toBe(local);
    expect(path.dirname(renamed ?? '')).toBe(path.join(dirs.downloadsDir, 'Album (2001)'));
    expect(path.basename(renamed ?? '')).toMatch(/^01 - Tone A_\d+\.flac$/);
    expect(await readFile(renamed ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));
  });

  it('translates the event path into settings.downloadsDir (slskd in a container)', async () => {
    const mount = path.join(dirs.root, 'mounted-downloads');
    await symlink(dirs.downloadsDir, mount);
    const mounted = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, downloadsDir: mount }),
    );
    const size = (await stat(path.join(AUDIO, 'tone-b.flac'))).size;
    const transfer = await mounted.enqueue({
      batchId: randomUUID(),
      username: 'alice',
      filename: TONE_B,
      size,
    });
    const finished = await settled(mounted, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await mounted.localPath(finished);
    expect(local).toBe(path.join(mount, 'Album (2001)', '02 - Tone B.flac'));
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-b.flac')));
  });

  it('adopts a duplicate enqueue instead of creating a second transfer', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const first = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    const count = emulator.enqueues.length;

    const again = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    expect(again.id).toBe(first.id);
    expect(emulator.enqueues.length).toBe(count);

    // the same batch id again (a retry after a crash): 409 → adopted through the batch
    const sameBatch = await provider.enqueue({
      batchId: first.batchId ?? '',
      username: 'dave',
      filename: TONE_C,
      size,
    });
    expect(sameBatch.id).toBe(first.id);
    expect(emulator.enqueues.length).toBe(count);

    const position = await provider.queuePosition('dave', first.id);
    expect(position === null || Number.isInteger(position)).toBe(true);

    // cancel, wait for Completed, remove
    await provider.cancel('dave', first.id);
    const listed = (await provider.listTransfers()).find((t) => t.id === first.id);
    expect(listed === undefined || listed.removed === true).toBe(true);
    await expect(provider.cancel('dave', first.id)).resolves.toBeUndefined();
  });

  it('lists all transfers in exactly one request', async () => {
    const key = 'GET /transfers/downloads';
    const before = emulator.requestCounts[key] ?? 0;
    const all = await provider.listTransfers();
    expect(all.length).toBeGreaterThan(0);
    expect(emulator.requestCounts[key] ?? 0).toBe(before + 1);
    const total = Object.values(emulator.requestCounts).reduce((a, b) => a + b, 0);
    await provider.listTransfers();
    expect(Object.values(emulator.requestCounts).reduce((a, b) => a + b, 0)).toBe(total + 1);
  });

  it('gives source_offline for an offline user', async () => {
    const error = await rejection(
      provider.enqueue({
        batchId: randomUUID(),
        username: 'bob',
        filename: '@@b0b\\Music\\Tone\\05 - Tone.flac',
        size: 10,
      }),
    );
    expect(error.code).toBe('source_offline');
  });

  it('classifies a rejected file', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-d.mp3'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'carol',
      filename: TONE_D,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('rejected');
    expect(classifyTransferFailure(finished).code).toBe('file_not_found');
    expect(provider.describeFailure(finished)).toMatchObject({
      code: 'file_not_found',
      daemonRestart: false,
    });
    await expect(provider.localPath(finished)).resolves.toBeNull();
  });

  it('classifies a failure reported by the peer', async () => {
    const filename = '@@er1n\\Music\\X\\Y\\06 - Tone.flac';
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'erin',
      filename,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('errored');
    // slskd retried it by itself (§5.4): only the last attempt's failure is final
    expect(finished.attempts).toBe(3);
    expect(finished.exception).toMatch(/reported as failed by remote client/);
    expect(classifyTransferFailure(finished).code).toBe('transfer_failed');
  });

  it('marks transfers cut by an slskd restart', async () => {
    emulator.setBehaviour('dave', { stuckInQueue: true });
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'dave',
      filename: TONE_C,
      size,
    });
    await emulator.restart();
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('errored');
    expect(classifyTransferFailure(finished)).toMatchObject({
      code: 'slskd_unavailable',
      isSlskdRestart: true,
    });
    expect(provider.describeFailure(finished)).toMatchObject({
      code: 'slskd_unavailable',
      daemonRestart: true,
    });
  });
});

describe('slskd provider against the emulator in legacy mode (0.25)', () => {
  let emulator: Emulator;
  let provider: SlskdProvider;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;

  beforeAll(async () => {
    dirs = await tempDirs();
    emulator = await createEmulator({
      apiKey: KEY,
      version: '0.25.1',
      downloadsDir: dirs.downloadsDir,
      incompleteDir: dirs.incompleteDir,
      users: users(),
      tickMs: 50,
      searchTimeoutCapMs: 600,
    });
    provider = createSlskdProvider(slskdSettings({ url: emulator.url, apiKey: KEY }));
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(dirs.root, { recursive: true, force: true });
  });

  it('enqueues through the legacy endpoint, adopts duplicates, finds it again', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-c.mp3'))).size;
    const request = { batchId: randomUUID(), username: 'dave', filename: TONE_C, size };
    await expect(provider.findEnqueued(request)).resolves.toBeNull();
    const transfer = await provider.enqueue(request);
    expect(transfer).toMatchObject({ username: 'dave', filename: TONE_C, size });
    expect(transfer.batchId).toBeUndefined();
    expect(emulator.requestCounts['POST /transfers/downloads/batches'] ?? 0).toBe(0);
    const count = emulator.enqueues.length;

    const again = await provider.enqueue({ ...request, batchId: randomUUID() });
    expect(again.id).toBe(transfer.id);
    expect(emulator.enqueues.length).toBe(count);

    const found = await provider.findEnqueued(request);
    expect(found?.id).toBe(transfer.id);

    await provider.cancel('dave', transfer.id);
  });

  it('downloads a file and finds it through the event log', async () => {
    const size = (await stat(path.join(AUDIO, 'tone-a.flac'))).size;
    const transfer = await provider.enqueue({
      batchId: randomUUID(),
      username: 'alice',
      filename: TONE_A,
      size,
    });
    const finished = await settled(provider, transfer.id);
    expect(finished.state).toBe('succeeded');
    const local = await provider.localPath(finished);
    expect(await readFile(local ?? '')).toEqual(await readFile(path.join(AUDIO, 'tone-a.flac')));
  });

  it('gives source_offline for an offline user (500 on the legacy endpoint)', async () => {
    const error = await rejection(
      provider.enqueue({
        batchId: randomUUID(),
        username: 'bob',
        filename: '@@b0b\\Music\\Tone\\05 - Tone.flac',
        size: 10,
      }),
    );
    expect(error.code).toBe('source_offline');
  });
});
