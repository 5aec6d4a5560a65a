import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { testDialects } from './helpers/db.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';

type Page = { items: DownloadDto[]; nextCursor: string | null };
type Reply = { status: number; json: { message?: string } & Record<string, unknown> };

/**
 * The inputs a new user's malformed requests found answered 500 on PostgreSQL or silently accepted
 * (and altered) on SQLite. Each is refused before storage, identically on both databases, or stored
 * as sent.
 */
describe.each(testDialects())('bad input on %s', (dialect) => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  const send = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await server.app.inject({
      method,
      url,
      headers: {
        'x-api-key': API_KEY,
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    return { status: res.statusCode, json: res.body ? (res.json() as Reply['json']) : {} };
  };
  const stored = async (): Promise<DownloadDto[]> =>
    ((await send('GET', '/api/downloads?limit=500')).json as unknown as Page).items;
  /** Asserts the request is refused with `status` and a message containing `text`, storing nothing. */
  const refused = async (
    request: Promise<Reply> | (() => Promise<Reply>),
    status: number,
    text: string,
  ): Promise<void> => {
    const before = (await stored()).length;
    const reply = await (typeof request === 'function' ? request() : request);
    expect(reply.status, JSON.stringify(reply.json)).toBe(status);
    expect(reply.json.message).toContain(text);
    expect((await stored()).length).toBe(before);
  };

  it('stores a fractional durationSeconds and returns exactly that value', async () => {
    const created = await send(
      'POST',
      '/api/downloads',
      JSON.stringify({ artist: 'Fraction', title: 'Point Four', durationSeconds: 215.4 }),
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.durationSeconds).toBe(215.4);
    const id = created.json.id as string;
    const read = await send('GET', `/api/downloads/${id}`);
    expect(read.json.durationSeconds).toBe(215.4);
    const listed = (await stored()).find((d) => d.id === id);
    expect(listed?.durationSeconds).toBe(215.4);
    // The smallest positive double too: what is stored is what was sent, not a rounding of it.
    const tiny = await send(
      'POST',
      '/api/downloads',
      JSON.stringify({ artist: 'Fraction', title: 'Tiny', durationSeconds: 5e-324 }),
    );
    expect(tiny.status).toBe(201);
    expect(
      (await send('GET', `/api/downloads/${tiny.json.id as string}`)).json.durationSeconds,
    ).toBe(5e-324);
  });

  it.each([
    ['/api/downloads', 'artist', { title: 't' }],
    ['/api/downloads', 'title', { artist: 'a' }],
    ['/api/downloads', 'album', { artist: 'a', title: 't' }],
    ['/api/downloads', 'albumArtist', { artist: 'a', title: 't' }],
    ['/api/downloads', 'genre', { artist: 'a', title: 't' }],
    ['/api/blocklist', 'username', {}],
    ['/api/blocklist', 'filename', { username: 'u' }],
    ['/api/blocklist', 'reason', { username: 'u' }],
  ])(
    'refuses a NUL character in POST %s body/%s with a 400 naming it',
    async (url, field, base) => {
      const body = JSON.stringify({ ...base, [field]: 'bad\u0000value' });
      await refused(send('POST', url, body), 400, `body/${field} must not contain NUL characters`);
    },
  );

  // PostgreSQL refuses a btree index entry over 2704 bytes; SQLite has no such limit. Text at the
  // length limits, in characters of 3 and 4 UTF-8 bytes, must fit the indexes on both.
  const wide = (n: number, from: number): string =>
    Array.from({ length: n }, (_, i) => String.fromCodePoint(from + ((i * 7919) % 20_000))).join(
      '',
    );

  it('accepts artist, title and album at their length limits in wide characters', async () => {
    for (const from of [0x4e00, 0x20000]) {
      const body = {
        artist: wide(500, from),
        title: wide(500, from + 1),
        album: wide(500, from + 2),
      };
      const res = await send('POST', '/api/downloads', JSON.stringify(body));
      expect(res.status, JSON.stringify(res.json).slice(0, 200)).toBe(201);
      expect(res.json).toMatchObject(body);
    }
    // NFKD turns one U+FDFA into 18 letters: the dedupe key must stay bounded all the same.
    const ligatures = { artist: '\ufdfa'.repeat(500), title: '\ufdfa'.repeat(500) };
    const res = await send('POST', '/api/downloads', JSON.stringify(ligatures));
    expect(res.status, JSON.stringify(res.json).slice(0, 200)).toBe(201);
  });

  it('accepts a blocklist username and filename at their length limits in wide characters', async () => {
    for (const from of [0x4e00, 0x20000]) {
      const body = { username: wide(100, from), filename: wide(500, from + 3) };
      const res = await send('POST', '/api/blocklist', JSON.stringify(body));
      expect(res.status, JSON.stringify(res.json).slice(0, 200)).toBe(201);
      expect(res.json).toMatchObject(body);
    }
  });

  it.each([
    ['username', { username: 'x'.repeat(101) }],
    ['filename', { username: 'u', filename: 'x'.repeat(501) }],
  ])('refuses a blocklist %s over its length limit with a 400 naming it', async (field, body) => {
    await refused(send('POST', '/api/blocklist', JSON.stringify(body)), 400, `body/${field}`);
  });

  it.each([
    ['GET', '/api/downloads/%00'],
    ['DELETE', '/api/downloads/%00'],
    ['POST', '/api/downloads/%00/retry'],
    ['DELETE', '/api/blocklist/%00'],
    ['GET', '/api/downloads/abc%00def'],
    ['GET', '/api/downloads/not-a-uuid'],
  ] as const)('refuses the id of %s %s with a 400 naming params/id', async (method, url) => {
    await refused(send(method, url), 400, 'params/id');
  });

  it.each(['/api/downloads/%ff', '/api/downloads/%ED%A0%80/retry', '/api/blocklist/%c0%af'])(
    'refuses the path %s, whose percent-encoding is not UTF-8, with a 400 naming params',
    async (url) => {
      await refused(send(url.endsWith('/retry') ? 'POST' : 'DELETE', url), 400, 'params: ');
    },
  );

  it('publishes the text rule and the id format in the OpenAPI document', async () => {
    const doc = JSON.stringify((await send('GET', '/api/docs/json')).json);
    expect(doc).toContain('"x-well-formed-text":true');
    expect(doc).toContain('"format":"uuid"');
  });

  it('still answers 404 for a well-formed id that is not there', async () => {
    const unknown = '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11';
    expect((await send('GET', `/api/downloads/${unknown}`)).status).toBe(404);
    expect((await send('DELETE', `/api/downloads/${unknown}`)).status).toBe(404);
    expect((await send('POST', `/api/downloads/${unknown}/retry`)).status).toBe(404);
    expect((await send('DELETE', `/api/blocklist/${unknown}`)).status).toBe(404);
  });

  it.each(['\\ud800', '\\udfff', 'a\\udc00b', '\\udc00\\ud800', 'x\\ud83c'])(
    'refuses the lone surrogate in "%s" with a 400 naming the field',
    async (escaped) => {
      const body = `{"artist":"${escaped}","title":"t"}`;
      await refused(
        send('POST', '/api/downloads', body),
        400,
        'body/artist must not contain lone UTF-16 surrogates',
      );
      await refused(
        send('POST', '/api/blocklist', `{"username":"u","reason":"${escaped}"}`),
        400,
        'body/reason must not contain lone UTF-16 surrogates',
      );
    },
  );

  it('stores a surrogate pair (escaped or as UTF-8 bytes) exactly', async () => {
    const escaped = await send('POST', '/api/downloads', '{"artist":"\\ud83c\\udfb5","title":"e"}');
    expect(escaped.status).toBe(201);
    expect(escaped.json.artist).toBe('🎵');
    const bytes = await send('POST', '/api/downloads', Buffer.from('{"artist":"🎶","title":"b"}'));
    expect(bytes.status).toBe(201);
    expect((await send('GET', `/api/downloads/${bytes.json.id as string}`)).json.artist).toBe('🎶');
  });

  it.each([
    ['a stray 0xff', [0xff]],
    ['Latin-1 é', [0xe9]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('refuses a JSON body with %s (not UTF-8) with a 400', async (_name, bad) => {
    const payload = Buffer.concat([
      Buffer.from('{"artist":"x'),
      Buffer.from(bad),
      Buffer.from('y","title":"t"}'),
    ]);
    await refused(send('POST', '/api/downloads', payload), 400, 'body is not valid UTF-8');
  });

  it('refuses a body declared in a charset other than UTF-8 with a 415', async () => {
    await refused(
      send('POST', '/api/downloads', '{"artist":"a","title":"latin"}', {
        'content-type': 'application/json; charset=iso-8859-1',
      }),
      415,
      'charset',
    );
  });

  it('refuses a body sent with Content-Encoding: gzip that is not gzip with a 415', async () => {
    await refused(
      send('POST', '/api/downloads', '{"artist":"a","title":"not gzip"}', {
        'content-encoding': 'gzip',
      }),
      415,
      'Content-Encoding',
    );
  });

  it.each(['gzip', 'deflate', 'br', 'x-made-up', 'gzip, identity'])(
    'refuses Content-Encoding "%s" with a 415, even on a real compressed body',
    async (encoding) => {
      const body = gzipSync(JSON.stringify({ artist: 'a', title: `zipped ${encoding}` }));
      await refused(
        send('POST', '/api/downloads', body, { 'content-encoding': encoding }),
        415,
        'Content-Encoding',
      );
    },
  );

  it('accepts Content-Encoding: identity', async () => {
    const res = await send('POST', '/api/downloads', '{"artist":"a","title":"identity"}', {
      'content-encoding': 'identity',
    });
    expect(res.status).toBe(201);
  });

  const cursor = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts the nextCursor it gave', async () => {
    const first = (await send('GET', '/api/downloads?limit=1')).json as unknown as Page;
    expect(first.nextCursor).not.toBeNull();
    const next = await send('GET', `/api/downloads?limit=1&cursor=${first.nextCursor!}`);
    expect(next.status).toBe(200);
  });

  it.each([
    ['status=%00', 'querystring/status'],
    ['status=waiting%00', 'querystring/status'],
    ['cursor=%00', 'querystring/cursor'],
    [`cursor=${cursor([1, 'id\u0000'])}`, 'querystring/cursor'],
    [`cursor=${cursor([1.5, '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11'])}`, 'querystring/cursor'],
    [`cursor=${cursor([1e300, '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11'])}`, 'querystring/cursor'],
    [`cursor=${cursor([1, '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11', 'x'])}`, 'querystring/cursor'],
    [`cursor=${cursor([1, '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11'])}!!`, 'querystring/cursor'],
    ['limit=1.5', 'querystring/limit'],
    ['limit=1e400', 'querystring/limit'],
    ['order=%00', 'querystring/order'],
  ])('refuses GET /api/downloads?%s with a 400 naming %s', async (query, field) => {
    await refused(send('GET', `/api/downloads?${query}`), 400, field);
  });
});
