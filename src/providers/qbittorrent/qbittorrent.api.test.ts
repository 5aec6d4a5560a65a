// The Web API layer's own rules over real HTTP, against a loopback server that answers as
// qBittorrent 4.5 does for the few routes involved (what the daemon itself cannot be made to do
// on demand: expire a session, answer too much, answer too slowly).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccepted, createQbittorrentApi } from './qbittorrent.api.js';
import { qbittorrentSettings } from './qbittorrent.settings.js';

const PASSWORD = 'p@ss word&secret=1';
let server: Server;
let url: string;
let sessions = new Set<string>();
let logins = 0;
const hits: string[] = [];
let handler: (req: IncomingMessage, res: ServerResponse) => boolean = () => false;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      hits.push(req.url ?? '');
      if (handler(req, res)) return;
      if (req.url === '/api/v2/auth/login') {
        const form = new URLSearchParams(await body(req));
        logins++;
        if (form.get('username') === 'admin' && form.get('password') === PASSWORD) {
          const sid = `s${logins}`;
          sessions.add(sid);
          res.writeHead(200, { 'set-cookie': `SID=${sid}; HttpOnly; path=/` }).end('Ok.');
        } else res.writeHead(200).end('Fails.');
        return;
      }
      const sid = /SID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (!sid || !sessions.has(sid)) return void res.writeHead(403).end('Forbidden');
      if (req.url === '/api/v2/app/version') return void res.writeHead(200).end('v4.5.2');
      if (req.url?.startsWith('/api/v2/torrents/resume')) return void res.writeHead(200).end();
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const api = (over: Record<string, unknown> = {}) =>
  createQbittorrentApi(
    qbittorrentSettings({ url, username: 'admin', password: PASSWORD, ...over }),
  );

describe('qBittorrent Web API layer', () => {
  it('logs in once, and again once when the session is gone (403)', async () => {
    sessions = new Set();
    logins = 0;
    const client = api();
    expect(await client.version()).toBe('v4.5.2');
    expect(await client.version()).toBe('v4.5.2');
    expect(logins).toBe(1);
    sessions.clear(); // qBittorrent restarted, or the session expired
    expect(await client.version()).toBe('v4.5.2');
    expect(logins).toBe(2);
  });

  it('a refused login is a clear error that never carries the password', async () => {
    const error = (await api({ password: 'wrong' })
      .version()
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('provider_unavailable');
    expect(error.message).toMatch(/wrong username or password/);
    const ok = api();
    handler = (req, res) =>
      req.url === '/api/v2/app/version' ? (res.writeHead(500).end('boom'), true) : false;
    const failed = (await ok.version().catch((e: unknown) => e)) as Error;
    handler = () => false;
    expect(failed.message).toMatch(/HTTP 500/);
    for (const e of [error, failed]) {
      expect(e.message).not.toContain(PASSWORD);
      expect(e.message).not.toContain(encodeURIComponent(PASSWORD));
    }
  });

  it('refuses an answer larger than the cap, whatever Content-Length says', async () => {
    const client = api({ maxResponseBytes: 4096 });
    handler = (req, res) => {
      if (!req.url?.startsWith('/api/v2/torrents/info')) return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`[${'{"hash":"x"},'.repeat(1000)}{}]`); // chunked: no Content-Length
      return true;
    };
    await expect(client.info({ category: 'soulspot' })).rejects.toThrow(
      /larger than the 4096-byte limit/,
    );
    handler = () => false;
  });

  it('gives up on a silent daemon at the deadline, as unavailable', async () => {
    const client = api({ requestTimeoutMs: 300 });
    await client.version(); // logged in
    handler = (req) => req.url === '/api/v2/app/webapiVersion'; // never answers
    const started = Date.now();
    await expect(client.webapiVersion()).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/did not answer app\/webapiVersion within 300 ms/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    handler = () => false;
  });

  it('a 4.x without the 5.x route: stop/start fall back to pause/resume', async () => {
    const client = api();
    hits.length = 0;
    await expect(client.start('c12fe1c06bba254a9dc9f519b335aa7c1367a88a')).resolves.toBeUndefined();
    expect(hits.filter((h) => h.startsWith('/api/v2/torrents/'))).toEqual([
      '/api/v2/torrents/start',
      '/api/v2/torrents/resume',
    ]);
  });

  it('checks the shape of what it is sent', async () => {
    const client = api();
    handler = (req, res) => {
      if (!req.url?.startsWith('/api/v2/torrents/info')) return false;
      res.writeHead(200).end('[{"hash":1}]');
      return true;
    };
    await expect(client.info({})).rejects.toThrow(/unexpected answer to torrents\/info/);
    handler = () => false;
  });

  it("reads torrents/add's answer in the old text and the newer JSON form", () => {
    expect(addAccepted('Ok.')).toBe(true);
    expect(addAccepted('Fails.')).toBe(false);
    expect(addAccepted('{"success_count":1,"failure_count":0,"pending_count":0}')).toBe(true);
    expect(addAccepted('{"success_count":0,"failure_count":1,"pending_count":0}')).toBe(false);
    expect(addAccepted('{"added_torrent_ids":["abc"]}')).toBe(true);
    expect(addAccepted('{oops')).toBe(false);
  });
});
