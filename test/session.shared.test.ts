import { afterAll, describe, expect, it } from 'vitest';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { login, startUiServer, type UiServer } from './helpers/ui-server.js';

const started: UiServer[] = [];
afterAll(async () => {
  for (const s of started) await s.close();
});
const start = async (options: Parameters<typeof startUiServer>[0]) => {
  const server = await startUiServer(options);
  started.push(server);
  return server;
};

/** Processes sharing one PostgreSQL database accept one another's sessions. */
describe.each(testDialects().filter((d) => d === 'postgres'))('sessions shared on %s', () => {
  it('a cookie from one process works on another, survives a restart, and logout ends it everywhere', async () => {
    const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    try {
      const a = await start({ databaseUrl: pg.url });
      const b = await start({ databaseUrl: pg.url });
      const { cookie } = await login(a.url);
      const onB = await fetch(`${b.url}/api/downloads`, { headers: { cookie } });
      expect(onB.status).toBe(200);
      await onB.arrayBuffer();

      await a.close();
      started.splice(started.indexOf(a), 1);
      const a2 = await start({ databaseUrl: pg.url });
      const afterRestart = await fetch(`${a2.url}/api/session`, { headers: { cookie } });
      expect(afterRestart.status).toBe(200);
      await afterRestart.arrayBuffer();

      const out = await fetch(`${b.url}/api/session`, {
        method: 'DELETE',
        headers: { cookie, origin: b.url },
      });
      expect(out.status).toBe(204);
      const ended = await fetch(`${a2.url}/api/downloads`, { headers: { cookie } });
      expect(ended.status).toBe(401);
      await ended.arrayBuffer();
    } finally {
      for (const s of started.splice(0)) await s.close();
      await pg.drop();
    }
  });
});

describe.each(testDialects().filter((d) => d === 'postgres'))('a new API key on %s', () => {
  it('ends the sessions started with the old key', async () => {
    const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    try {
      const before = await start({ databaseUrl: pg.url });
      const { cookie } = await login(before.url);
      const ok = await fetch(`${before.url}/api/session`, { headers: { cookie } });
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
      // The same database under a new key (the old one leaked): the old key's cookie is no login.
      const after = await start({
        databaseUrl: pg.url,
        env: { SOULSPOT_API_KEY: 'a-brand-new-api-key-9876543210' },
      });
      const refused = await fetch(`${after.url}/api/downloads`, { headers: { cookie } });
      expect(refused.status).toBe(401);
      await refused.arrayBuffer();
      // A process still on the old key accepts it: the row is there, only the key decides.
      const still = await fetch(`${before.url}/api/session`, { headers: { cookie } });
      expect(still.status).toBe(200);
      await still.arrayBuffer();
    } finally {
      for (const s of started.splice(0)) await s.close();
      await pg.drop();
    }
  });
});

/** Behind an HTTPS reverse proxy (SOULSPOT_TRUST_PROXY=true). */
describe('sessions behind a trusted proxy', () => {
  it('sets Secure when the proxy says the request came over HTTPS, and checks Origin against https', async () => {
    const server = await start({ env: { SOULSPOT_TRUST_PROXY: 'true' } });
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'music.example.org' };
    const { res, setCookie, cookie } = await login(server.url, proxied);
    expect(res.status).toBe(204);
    expect(setCookie).toMatch(/; HttpOnly; Secure; SameSite=Strict$/);
    const post = (origin: string) =>
      fetch(`${server.url}/api/downloads`, {
        method: 'POST',
        headers: { ...proxied, cookie, origin, 'content-type': 'application/json' },
        body: JSON.stringify({ artist: 'Proxy', title: origin }),
      });
    const same = await post('https://music.example.org');
    expect(same.status).toBe(201);
    await same.arrayBuffer();
    const plain = await post('http://music.example.org');
    expect(plain.status).toBe(403);
    await plain.arrayBuffer();
  });

  it('limits by the address the proxy appended, not one the client put in X-Forwarded-For', async () => {
    const server = await start({ env: { SOULSPOT_TRUST_PROXY: 'true' } });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      // What a proxy forwards when the client sent its own X-Forwarded-For: the client's made-up
      // address first, the real one (the same each time) appended.
      const res = await fetch(`${server.url}/api/session`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `10.9.0.${i}, 203.0.113.7`,
        },
        body: JSON.stringify({ apiKey: 'not-the-api-key-at-all' }),
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Another real client is not held up by the first one's failures.
    const other = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.8' },
      body: JSON.stringify({ apiKey: 'not-the-api-key-at-all' }),
    });
    expect(other.status).toBe(401);
    await other.arrayBuffer();
  });

  it('without SOULSPOT_TRUST_PROXY the forwarded headers count for nothing', async () => {
    const server = await start({});
    const { res, setCookie } = await login(server.url, { 'x-forwarded-proto': 'https' });
    expect(res.status).toBe(204);
    expect(setCookie).not.toContain('Secure');
  });
});
