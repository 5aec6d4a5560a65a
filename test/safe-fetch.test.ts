import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoverError, fetchCover } from '../src/library/tagging/cover.js';
import { safeFetch, SafeFetchError } from '../src/net/safe-fetch.js';

// All traffic here goes to a canary server on 127.0.0.1, fetched with loopback allowed. Refusals of
// other addresses are decided before any connection (the address check itself is tested apart).

/** A PNG's signature and IHDR chunk (`width`×`height`): enough to judge, never decoded here. */
const pngOf = (width: number, height: number): Buffer => {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(b, 0);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
};
const PNG = pngOf(1, 1);
/** SOI, APP0, a 1×1 baseline frame header. */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.alloc(14, 1),
  Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, 0, 1, 0, 1, 3]),
  Buffer.alloc(100, 1),
]);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('safe fetch', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  const routes = new Map<string, Handler>();
  const loopback = { policy: { allowLoopback: true } };

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const handler = routes.get(req.url ?? '');
      if (handler) handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    routes.set('/huge.png', (_q, r) => r.writeHead(200).end(pngOf(60_000, 60_000)));
    routes.set('/cover.png', (_q, r) => r.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
    routes.set('/cover.jpg', (_q, r) =>
      r.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG),
    );
    routes.set('/fake.jpg', (_q, r) =>
      r.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html>not an image</html>'),
    );
    routes.set('/big-declared', (_q, r) =>
      r.writeHead(200, { 'content-length': String(50_000) }).end(Buffer.alloc(50_000)),
    );
    // No Content-Length (chunked): only counting the bytes finds it too large.
    routes.set('/big-chunked', (_q, r) => {
      r.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(4096, 2);
      let sent = 0;
      const push = (): void => {
        if (sent > 200_000 || r.destroyed) return void r.end();
        sent += chunk.length;
        r.write(chunk, push);
      };
      push();
    });
    routes.set('/slow', (_q, r) => {
      r.writeHead(200);
      r.write('x');
      // …and nothing more for longer than the test's time limit.
      setTimeout(() => r.end(), 5_000).unref();
    });
    for (let i = 0; i < 5; i++)
      routes.set(`/hop${i}`, (_q, r) => r.writeHead(302, { location: `/hop${i + 1}` }).end());
    routes.set('/hop5', (_q, r) => r.writeHead(200).end(PNG));
    routes.set('/to-private', (_q, r) =>
      r.writeHead(302, { location: 'http://10.0.0.1/cover.png' }).end(),
    );
    routes.set('/to-file', (_q, r) => r.writeHead(302, { location: 'file:///etc/passwd' }).end());
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const failure = async (p: Promise<unknown>): Promise<SafeFetchError> => {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SafeFetchError);
    return error as SafeFetchError;
  };

  it('refuses loopback by default, without sending anything', async () => {
    const before = hits.length;
    const error = await failure(safeFetch(`${base}/cover.png`));
    expect(error.reason).toBe('address_refused');
    // By name too: localhost resolves to loopback, and is refused before a connection.
    const port = new URL(base).port;
    expect((await failure(safeFetch(`http://localhost:${port}/cover.png`))).reason).toBe(
      'address_refused',
    );
    expect(hits.length).toBe(before);
  });

  it('refuses a name with one internal address among public ones (no traffic)', async () => {
    const error = await failure(
      safeFetch('http://cover.example/x.png', { resolve: async () => ['8.8.8.8', '10.1.2.3'] }),
    );
    expect(error.reason).toBe('address_refused');
    expect(error.message).toMatch(/10\.1\.2\.3/);
  });

  it('pins the connection to the address it checked (no second DNS answer)', async () => {
    let lookups = 0;
    const res = await safeFetch(`http://images.test:${new URL(base).port}/cover.png`, {
      ...loopback,
      resolve: async () => {
        lookups++;
        return ['127.0.0.1'];
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.equals(PNG)).toBe(true);
    expect(lookups).toBe(1);
  });

  it('refuses schemes other than http(s) and URLs with credentials', async () => {
    expect((await failure(safeFetch('file:///etc/passwd', loopback))).reason).toBe('bad_url');
    expect((await failure(safeFetch('ftp://127.0.0.1/x', loopback))).reason).toBe('bad_url');
    expect((await failure(safeFetch(`http://u:p@127.0.0.1:1/`, loopback))).reason).toBe('bad_url');
  });

  it('fetches with loopback allowed', async () => {
    const res = await safeFetch(`${base}/cover.jpg`, loopback);
    expect(res.status).toBe(200);
    expect(res.body.equals(JPEG)).toBe(true);
  });

  it('refuses a body over the limit, declared or not', async () => {
    const declared = await failure(
      safeFetch(`${base}/big-declared`, { ...loopback, maxBytes: 10_000 }),
    );
    expect(declared.reason).toBe('too_large');
    expect(declared.message).toMatch(/announces 50000 bytes/);
    const chunked = await failure(
      safeFetch(`${base}/big-chunked`, { ...loopback, maxBytes: 10_000 }),
    );
    expect(chunked.reason).toBe('too_large');
    expect(chunked.message).toMatch(/more than 10000 bytes arrived/);
  });

  it('gives up at the time limit', async () => {
    const started = Date.now();
    const error = await failure(safeFetch(`${base}/slow`, { ...loopback, timeoutMs: 300 }));
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a resolver that never answers is given up at the time limit and on cancel', async () => {
    const never = (): Promise<string[]> => new Promise(() => undefined);
    let started = Date.now();
    const late = await failure(
      safeFetch('http://stuck.test/x.png', { ...loopback, timeoutMs: 300, resolve: never }),
    );
    expect(late.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);

    const cancel = new AbortController();
    const reason = new Error('cancelled by the caller');
    setTimeout(() => cancel.abort(reason), 200);
    started = Date.now();
    const error = await safeFetch('http://stuck.test/x.png', {
      ...loopback,
      timeoutMs: 10_000,
      signal: cancel.signal,
      resolve: never,
    }).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('follows at most 3 redirects', async () => {
    const ok = await safeFetch(`${base}/hop2`, loopback);
    expect(ok.body.equals(PNG)).toBe(true);
    expect(ok.url).toBe(`${base}/hop5`);
    expect((await failure(safeFetch(`${base}/hop0`, loopback))).reason).toBe('too_many_redirects');
  });

  it('checks every redirect target again before connecting', async () => {
    const toPrivate = await failure(safeFetch(`${base}/to-private`, loopback));
    expect(toPrivate.reason).toBe('address_refused');
    expect(toPrivate.message).toMatch(/10\.0\.0\.1/);
    expect((await failure(safeFetch(`${base}/to-file`, loopback))).reason).toBe('bad_url');
    // A scheme the caller reads (a magnet link) is answered, not followed; others still refused.
    routes.set('/to-magnet', (_q, r) =>
      r.writeHead(302, { location: 'magnet:?xt=urn:btih:' + 'a'.repeat(40) }).end(),
    );
    const magnet = await safeFetch(`${base}/to-magnet`, {
      ...loopback,
      answerRedirectsTo: ['magnet:'],
    });
    expect(magnet.status).toBe(302);
    expect(magnet.headers.location).toBe('magnet:?xt=urn:btih:' + 'a'.repeat(40));
    expect((await failure(safeFetch(`${base}/to-magnet`, loopback))).reason).toBe('bad_url');
    const fileStill = safeFetch(`${base}/to-file`, { ...loopback, answerRedirectsTo: ['magnet:'] });
    expect((await failure(fileStill)).reason).toBe('bad_url');
    // An allow-list of one loopback address does not open another.
    const only = { policy: { allowedRanges: ['127.0.0.1/32'] } };
    routes.set('/to-other-loopback', (_q, r) =>
      r.writeHead(302, { location: `http://127.0.0.2:${new URL(base).port}/cover.png` }).end(),
    );
    expect((await failure(safeFetch(`${base}/to-other-loopback`, only))).reason).toBe(
      'address_refused',
    );
  });

  describe('cover images', () => {
    it('takes JPEG and PNG by their bytes', async () => {
      expect((await fetchCover(`${base}/cover.png`, loopback)).mime).toBe('image/png');
      const jpeg = await fetchCover(`${base}/cover.jpg`, loopback);
      expect(jpeg.mime).toBe('image/jpeg');
      expect(Buffer.from(jpeg.data).equals(JPEG)).toBe(true);
    });

    it('refuses what only claims to be an image, a 404, and a refused address', async () => {
      await expect(fetchCover(`${base}/fake.jpg`, loopback)).rejects.toThrow(
        /not a JPEG or PNG image/,
      );
      await expect(fetchCover(`${base}/missing.png`, loopback)).rejects.toThrow(/HTTP 404/);
      // 33 bytes that claim 60000×60000 pixels: a decoder would want gigabytes for it.
      await expect(fetchCover(`${base}/huge.png`, loopback)).rejects.toThrow(
        /60000×60000 pixels, over 10000 a side/,
      );
      await expect(fetchCover(`${base}/cover.png`)).rejects.toBeInstanceOf(CoverError);
    });

    it('refuses an image over the size limit', async () => {
      await expect(
        fetchCover(`${base}/big-chunked`, { ...loopback, maxBytes: 10_000 }),
      ).rejects.toThrow(/over the 10000-byte limit/);
    });
  });
});
