import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lanAllowedPolicy } from './address-policy.js';
import { guardedFetch } from './guarded-fetch.js';

/** guarded-fetch carries what the client adapters send and read: forms, cookies, statuses. */
describe('guardedFetch', () => {
  let base = '';
  let hits = 0;
  const seen: Array<{ method: string; type: string | undefined; body: string; cookie?: string }> =
    [];
  const server = createServer((req: IncomingMessage, res) => {
    hits++;
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        type: req.headers['content-type'],
        body,
        ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}),
      });
      if (req.url === '/login') {
        res.setHeader('set-cookie', ['SID=abc123; HttpOnly; path=/']);
        return res.end('Ok.');
      }
      if (req.url === '/moved') {
        res.statusCode = 302;
        res.setHeader('location', '/login');
        return res.end();
      }
      if (req.url === '/empty') {
        res.statusCode = 204;
        return res.end();
      }
      res.end('{"ok":true}');
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const allowed = guardedFetch(lanAllowedPolicy(), { maxBytes: 1000, timeoutMs: 2000 });

  it('posts a form, hands the set-cookie back and sends the cookie given', async () => {
    const login = await allowed(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'u', password: 'p' }),
    });
    expect(await login.text()).toBe('Ok.');
    expect(login.headers.get('set-cookie')).toContain('SID=abc123');
    const form = new FormData();
    form.append('torrents', new Blob([Buffer.from('d4:infoe')]), 'a.torrent');
    const add = await allowed(`${base}/add`, {
      method: 'POST',
      headers: { Cookie: 'SID=abc123' },
      body: form,
    });
    expect(await add.json()).toEqual({ ok: true });
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'username=u&password=p' });
    expect(seen[0]!.type).toContain('application/x-www-form-urlencoded');
    expect(seen[1]!.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[1]!.body).toContain('d4:infoe');
    expect(seen[1]!.cookie).toBe('SID=abc123');
  });

  it('answers a 204 without a body; follows no redirect under redirect: error', async () => {
    expect((await allowed(`${base}/empty`)).status).toBe(204);
    await expect(allowed(`${base}/moved`, { redirect: 'error' })).rejects.toThrow(/redirects/);
  });

  it('refuses loopback without the policy, before any connection', async () => {
    const before = hits;
    const strict = guardedFetch({}, { maxBytes: 1000, timeoutMs: 2000 });
    await expect(strict(`${base}/login`)).rejects.toThrow(/loopback/);
    expect(hits).toBe(before);
  });

  it('never quotes the query (an API key) of the URL in a failure', async () => {
    // A loopback port nothing listens on: a network failure about that URL.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const get = guardedFetch(lanAllowedPolicy(), { maxBytes: 1000, timeoutMs: 2000 });
    const failure = await get(`http://127.0.0.1:${port}/api?mode=version&apikey=k%2By`).then(
      () => null,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/api\\?…: `));
    expect(failure?.message).not.toContain('apikey');
  });
});
