import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/session/session.cookie.js';
import { hashToken } from '../src/session/session.service.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { API_KEY } from './helpers/stack.js';
import { login, startUiServer, type UiServer } from './helpers/ui-server.js';

const THIRTY_DAYS_S = 30 * 86_400;

/** Web UI logins over real HTTP against a real SoulSpot, on each database. */
describe.each(testDialects())('sessions on %s', (dialect) => {
  let server: UiServer;
  let dropDb: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const pg =
      dialect === 'postgres'
        ? await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string)
        : undefined;
    dropDb = pg?.drop;
    server = await startUiServer(pg ? { databaseUrl: pg.url } : {});
  });
  afterAll(async () => {
    await server?.close();
    await dropDb?.();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers });
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const track = () => ({ artist: 'Session Test', title: `Track ${Math.random()}` });

  it('logs in with the key: 204 and an HttpOnly, SameSite=Strict cookie for 30 days', async () => {
    const { res, setCookie } = await login(server.url);
    expect(res.status).toBe(204);
    expect(setCookie).toMatch(
      new RegExp(
        `^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Max-Age=${THIRTY_DAYS_S}; Path=/; HttpOnly; SameSite=Strict$`,
      ),
    );
    // Plain HTTP here: no Secure (a LAN install without TLS must still log in).
    expect(setCookie).not.toContain('Secure');
    // The database holds the token's hash only.
    const token = /=([^;]*)/.exec(setCookie)![1]!;
    const rows = await server.soulspot.db.db.selectFrom('sessions').selectAll().execute();
    expect(rows.map((r) => r.token_hash)).toContain(hashToken(token, API_KEY));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('the cookie grants the API and the event stream, and says until when', async () => {
    const { cookie } = await login(server.url);
    const list = await get('/api/downloads', { cookie });
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ items: expect.any(Array) });

    const state = await get('/api/session', { cookie });
    expect(state.status).toBe(200);
    const body = (await state.json()) as { expiresAt: string };
    expect(body).toMatchObject({ authenticated: true, via: 'session' });
    const left = Date.parse(body.expiresAt) - Date.now();
    expect(left).toBeGreaterThan(THIRTY_DAYS_S * 1000 - 60_000);
    expect(left).toBeLessThanOrEqual(THIRTY_DAYS_S * 1000);

    const controller = new AbortController();
    const sse = await fetch(`${server.url}/api/events`, {
      headers: { cookie },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    // The stream writes its own head; the headers every answer has are in it too.
    expect(sse.headers.get('x-content-type-options')).toBe('nosniff');
    expect(sse.headers.get('content-security-policy')).toContain("default-src 'self'");
    const first = await sse.body!.getReader().read();
    expect(new TextDecoder().decode(first.value)).toContain('retry: 2000');
    controller.abort();
  });

  it('refuses a request without key or cookie, and a made-up cookie', async () => {
    expect((await get('/api/downloads')).status).toBe(401);
    expect((await get('/api/session')).status).toBe(401);
    const forged = await get('/api/downloads', { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({
      statusCode: 401,
      message: expect.stringContaining('session cookie'),
    });
  });

  it('answers a wrong key with 401 and a message, and sets no cookie', async () => {
    const res = await post('/api/session', { apiKey: 'not-the-key-at-all-000' }, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(((await res.json()) as { message: string }).message).toMatch(/not the API key/);
    const missing = await post('/api/session', {}, {});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toContain('apiKey');
  });

  it('logout ends the session: the same cookie is refused afterwards', async () => {
    const { cookie } = await login(server.url);
    const out = await fetch(`${server.url}/api/session`, {
      method: 'DELETE',
      headers: { cookie, origin: server.url },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0;`));
    expect((await get('/api/downloads', { cookie })).status).toBe(401);
    expect((await get('/api/session', { cookie })).status).toBe(401);
  });

  it('refuses an expired session', async () => {
    const { cookie } = await login(server.url);
    expect((await get('/api/downloads', { cookie })).status).toBe(200);
    const token = cookie.split('=')[1]!;
    await server.soulspot.db.db
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('token_hash', '=', hashToken(token, API_KEY))
      .execute();
    expect((await get('/api/downloads', { cookie })).status).toBe(401);
    // The next login sweeps it.
    await login(server.url);
    const left = await server.soulspot.db.db
      .selectFrom('sessions')
      .select('token_hash')
      .where('token_hash', '=', hashToken(token, API_KEY))
      .execute();
    expect(left).toEqual([]);
  });

  it('slides the expiry once the last move is an hour old, and sends the cookie again', async () => {
    const { cookie } = await login(server.url);
    const hash = hashToken(cookie.split('=')[1]!, API_KEY);
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    await server.soulspot.db.db
      .updateTable('sessions')
      .set({ refreshed_at: twoHoursAgo, expires_at: twoHoursAgo + THIRTY_DAYS_S * 1000 })
      .where('token_hash', '=', hash)
      .execute();
    const res = await get('/api/downloads', { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toContain(`Max-Age=${THIRTY_DAYS_S}`);
    const row = await server.soulspot.db.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirstOrThrow();
    expect(Number(row.refreshed_at)).toBeGreaterThan(twoHoursAgo);
    expect(Number(row.expires_at)).toBeGreaterThan(Date.now() + THIRTY_DAYS_S * 1000 - 60_000);
    // Within the hour: no write, no new cookie.
    const again = await get('/api/downloads', { cookie });
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  describe('CSRF', () => {
    it('refuses a cookie POST without Origin, and with a foreign Origin, with 403', async () => {
      const { cookie } = await login(server.url);
      const bare = await post('/api/downloads', track(), { cookie });
      expect(bare.status).toBe(403);
      expect(((await bare.json()) as { message: string }).message).toMatch(/Origin/);
      const foreign = await post('/api/downloads', track(), {
        cookie,
        origin: 'http://evil.example',
      });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { message: string }).message).toContain(
        '"http://evil.example"',
      );
      // Another port of the same host is another origin.
      const port = Number(new URL(server.url).port);
      const otherPort = await post('/api/downloads', track(), {
        cookie,
        origin: `http://127.0.0.1:${port + 1}`,
      });
      expect(otherPort.status).toBe(403);
    });

    it('lets a cookie POST from the same origin through (Origin, or Sec-Fetch-Site)', async () => {
      const { cookie } = await login(server.url);
      const same = await post('/api/downloads', track(), { cookie, origin: server.url });
      expect(same.status).toBe(201);
      const fetchSite = await post('/api/downloads', track(), {
        cookie,
        'sec-fetch-site': 'same-origin',
      });
      expect(fetchSite.status).toBe(201);
      const crossSite = await post('/api/downloads', track(), {
        cookie,
        'sec-fetch-site': 'cross-site',
      });
      expect(crossSite.status).toBe(403);
    });

    it('lets an X-Api-Key POST through without Origin (API clients are not browsers)', async () => {
      const res = await post('/api/downloads', track(), { 'x-api-key': API_KEY });
      expect(res.status).toBe(201);
      const foreign = await post('/api/downloads', track(), {
        'x-api-key': API_KEY,
        origin: 'http://evil.example',
      });
      expect(foreign.status).toBe(201);
    });

    it('checks the login the same way when it carries an Origin', async () => {
      const foreign = await login(server.url, { origin: 'http://evil.example' });
      expect(foreign.res.status).toBe(403);
      expect(foreign.setCookie).toBe('');
      const same = await login(server.url, { origin: server.url });
      expect(same.res.status).toBe(204);
    });

    it('checks logout too (a foreign page cannot log the user out)', async () => {
      const { cookie } = await login(server.url);
      const res = await fetch(`${server.url}/api/session`, {
        method: 'DELETE',
        headers: { cookie, origin: 'http://evil.example' },
      });
      expect(res.status).toBe(403);
      expect((await get('/api/session', { cookie })).status).toBe(200);
    });
  });

  // Last: it leaves this address limited for a minute.
  it('limits wrong keys from one address: the 11th within a minute is a 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await post('/api/session', { apiKey: `wrong-key-number-${i}-xxxx` }, {});
      expect(res.status, `try ${i + 1}`).toBe(401);
    }
    const limited = await post('/api/session', { apiKey: 'wrong-key-number-10-xxxx' }, {});
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Even the right key waits: otherwise the limit would not slow a guesser at all.
    expect((await login(server.url)).res.status).toBe(429);
  });
});
