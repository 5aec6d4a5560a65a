import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/emulator.js';
import { loadConfig } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { checkAddress } from '../src/net/address-policy.js';
import { guardedFetch } from '../src/net/guarded-fetch.js';
import { downloadRow } from './helpers/factories.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { startIndexerServer, type IndexerServer } from './helpers/indexer-server.js';
import { API_KEY, fastEnv, startEmulatorIn } from './helpers/stack.js';
import { waitUntil } from './helpers/wait.js';

/**
 * Sources through the API (src/sources), on a real SoulSpot over both databases: CRUD and its
 * messages, write-only secrets (in no answer, no log line), the environment's entries read-only,
 * the test endpoint against a loopback Torznab server, the address rule for a user-supplied URL,
 * and the live provider set following every write without a restart.
 */

const INDEXER_KEY = 'indexer-secret-key-0123456789';
const QBT_PASSWORD = 'qbt-secret-password-98765';
const SAB_KEY = 'sabnzbd-secret-key-13579';
const ENV_KEY = 'env-indexer-key-24680';

describe.each(testDialects())('sources API on %s', (dialect) => {
  let soulspot: SoulSpot;
  let emulator: Emulator;
  let indexer: IndexerServer;
  let canary: Server;
  let canaryHits = 0;
  let canaryUrl = '';
  // A second loopback server: "another server" for a URL moved away from a stored entry's.
  let other: Server;
  const otherRequests: string[] = [];
  let otherUrl = '';
  let root = '';
  let pg: { url: string; drop(): Promise<void> } | undefined;
  const logLines: string[] = [];
  const bodies: string[] = [];

  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await soulspot.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    bodies.push(res.body);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely here
    return { status: res.statusCode, json: (res.body ? res.json() : {}) as Record<string, any> };
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-sources-'));
    emulator = await startEmulatorIn(root, []);
    indexer = await startIndexerServer({
      dialect: 'torznab',
      apiKey: INDEXER_KEY,
      releases: [{ title: 'Someone - Something [FLAC]', size: 1000, seeders: 1 }],
    });
    canary = createServer((_req, res) => {
      canaryHits++;
      res.end('Ok.');
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    other = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += String(c)));
      req.on('end', () => {
        otherRequests.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
        res.end('Ok.');
      });
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    pg =
      dialect === 'postgres'
        ? await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string)
        : undefined;
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_LOG_LEVEL: 'debug',
      SOULSPOT_SLSKD_URL: emulator.url,
      ...(pg ? { SOULSPOT_DATABASE_URL: pg.url } : {}),
      SOULSPOT_INDEXERS: JSON.stringify([
        {
          id: 'envix',
          url: indexer.apiUrl,
          apiKey: ENV_KEY,
          protocol: 'torrent',
          clientId: 'qbittorrent',
          allowPrivateAddress: true,
        },
      ]),
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        { type: 'qbittorrent', url: 'http://127.0.0.1:9', username: 'u', password: 'env-qbt-pw-1' },
      ]),
    });
    const logDestination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    soulspot = await startSoulSpot(config, { listen: false, runWorkers: false, logDestination });
    await soulspot.app.ready();
  }, 60_000);

  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await indexer?.close();
    canary?.close();
    other?.close();
    await pg?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const qbt = (over: Record<string, unknown> = {}) => ({
    id: 'qbt-lan',
    type: 'qbittorrent',
    settings: {
      url: canaryUrl,
      username: 'admin',
      password: QBT_PASSWORD,
      allowPrivateAddress: true,
      ...over,
    },
  });

  it('lists the environment entries read-only, with their secrets as set/not set only', async () => {
    const list = await call('GET', '/api/indexers');
    expect(list.status).toBe(200);
    const env = list.json.items.find((i: { id: string }) => i.id === 'envix');
    expect(env).toMatchObject({
      type: 'torznab',
      source: 'environment',
      enabled: true,
      secrets: { apiKey: { set: true } },
      settings: { url: indexer.apiUrl, clientId: 'qbittorrent', protocol: 'torrent' },
      updatedAt: null,
    });
    expect(env.health.circuit).toBe('closed');
    const patch = await call('PATCH', '/api/indexers/envix', { enabled: false });
    expect(patch.status).toBe(409);
    expect(patch.json.message).toBe('"envix" is set in SOULSPOT_INDEXERS; change it there');
    const del = await call('DELETE', '/api/download-clients/qbittorrent');
    expect(del.status).toBe(409);
    expect(del.json.message).toContain('SOULSPOT_DOWNLOAD_CLIENTS; change it there');
    const clients = await call('GET', '/api/download-clients');
    expect(clients.json.items[0]).toMatchObject({
      id: 'qbittorrent',
      source: 'environment',
      secrets: { password: { set: true } },
    });
  });

  it('a client added through the API can be named in a blocklist entry at once', async () => {
    const before = await call('POST', '/api/blocklist', { provider: 'qbt-lan', username: 'u' });
    expect(before.status).toBe(400);
    expect(before.json.message).toMatch(/^body\/provider: no provider "qbt-lan" is configured/);
    expect((await call('POST', '/api/download-clients', qbt())).status).toBe(201);
    const entry = await call('POST', '/api/blocklist', { provider: 'qbt-lan', username: 'u' });
    expect(entry.status, JSON.stringify(entry.json)).toBe(201);
    const listed = await call('GET', '/api/blocklist?provider=qbt-lan');
    expect(listed.status).toBe(200);
    expect(listed.json.items).toHaveLength(1);
    expect((await call('DELETE', '/api/download-clients/qbt-lan')).status).toBe(204);
  });

  it('creates, reads, changes and removes a client; the secret is write-only and kept', async () => {
    const created = await call('POST', '/api/download-clients', qbt());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: 'qbt-lan',
      type: 'qbittorrent',
      source: 'api',
      enabled: true,
      position: 0,
      secrets: { password: { set: true } },
      settings: { url: canaryUrl, username: 'admin', allowPrivateAddress: true },
    });
    expect(created.json.settings).not.toHaveProperty('password');
    expect(typeof created.json.updatedAt).toBe('string');
    // Applied here at once: the provider set routes to it.
    expect(soulspot.provider.ids).toContain('qbt-lan');

    const patched = await call('PATCH', '/api/download-clients/qbt-lan', {
      settings: { category: 'music' },
      position: 3,
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      position: 3,
      settings: { category: 'music' },
      secrets: { password: { set: true } },
    });
    const row = await soulspot.db.db
      .selectFrom('provider_configs' as never)
      .select('settings' as never)
      .where('id' as never, '=', 'qbt-lan' as never)
      .executeTakeFirstOrThrow();
    expect(JSON.parse((row as { settings: string }).settings).password).toBe(QBT_PASSWORD);

    const cleared = await call('PATCH', '/api/download-clients/qbt-lan', {
      settings: { password: null },
    });
    expect(cleared.json.secrets).toEqual({ password: { set: false } });

    const disabled = await call('PATCH', '/api/download-clients/qbt-lan', { enabled: false });
    expect(disabled.json.health.state).toBe('disabled');
    expect(soulspot.provider.ids).not.toContain('qbt-lan');

    expect((await call('DELETE', '/api/download-clients/qbt-lan')).status).toBe(204);
    expect((await call('GET', '/api/download-clients/qbt-lan')).status).toBe(404);
    expect((await call('PATCH', '/api/download-clients/nope', { enabled: true })).status).toBe(404);
  });

  it('names the field in a refusal; 409 for a taken id and for an indexer without its client', async () => {
    const badUrl = await call('POST', '/api/download-clients', qbt({ url: 'ftp://x' }));
    expect(badUrl.status).toBe(400);
    expect(badUrl.json.message).toMatch(/^settings\/url: /);
    const loopback = await call(
      'POST',
      '/api/download-clients',
      qbt({ allowPrivateAddress: false }),
    );
    expect(loopback.status).toBe(400);
    expect(loopback.json.message).toMatch(/^settings\/url: 127\.0\.0\.1 is a loopback address/);
    expect(loopback.json.message).toContain('allowPrivateAddress');
    const badId = await call('POST', '/api/download-clients', { ...qbt(), id: 'Bad_Id' });
    expect(badId.status).toBe(400);
    expect(badId.json.message).toMatch(/^body\/id/);
    for (const id of ['slskd', 'qbittorrent', 'envix']) {
      const taken = await call('POST', '/api/download-clients', { ...qbt(), id });
      expect(taken.status, id).toBe(409);
      expect(taken.json.message).toBe(`id: "${id}" is taken`);
    }
    // No environment entry is called nzbget here; the name is kept for one all the same.
    const kept = await call('POST', '/api/download-clients', { ...qbt(), id: 'nzbget' });
    expect(kept.status).toBe(409);
    expect(kept.json.message).toMatch(
      /^id: "nzbget" is kept for a SOULSPOT_DOWNLOAD_CLIENTS entry/,
    );
    const sab = await call('POST', '/api/download-clients', {
      id: 'sab',
      type: 'sabnzbd',
      settings: { url: canaryUrl, apiKey: SAB_KEY, allowPrivateAddress: true },
    });
    expect(sab.status).toBe(201);
    const nullKey = await call('PATCH', '/api/download-clients/sab', {
      settings: { apiKey: null },
    });
    expect(nullKey.status).toBe(400);
    expect(nullKey.json.message).toBe('settings/apiKey: sabnzbd needs one; it cannot be cleared');

    const orphan = await call('POST', '/api/indexers', {
      id: 'ix-orphan',
      type: 'torznab',
      settings: { url: indexer.apiUrl, apiKey: 'k', clientId: 'sab', allowPrivateAddress: true },
    });
    expect(orphan.status).toBe(409);
    expect(orphan.json.message).toMatch(/^settings\/clientId: "sab" is not a configured torrent/);
    const badCat = await call('POST', '/api/indexers', {
      id: 'ix-bad',
      type: 'newznab',
      settings: { url: indexer.apiUrl, apiKey: 'k', clientId: 'sab', categories: [] },
    });
    expect(badCat.status).toBe(400);
    expect(badCat.json.message).toMatch(/^settings\/categories: /);
    // A client an indexer names cannot go from under it.
    const nzb = await call('POST', '/api/indexers', {
      id: 'nzb',
      type: 'newznab',
      settings: { url: indexer.apiUrl, apiKey: 'k', clientId: 'sab', allowPrivateAddress: true },
    });
    expect(nzb.status).toBe(201);
    expect(nzb.json.settings.protocol).toBe('usenet');
    const inUse = await call('DELETE', '/api/download-clients/sab');
    expect(inUse.status).toBe(409);
    expect(inUse.json.message).toContain('nzb');
    expect((await call('DELETE', '/api/indexers/nzb')).status).toBe(204);
    expect((await call('DELETE', '/api/download-clients/sab')).status).toBe(204);
  });

  it('tests an indexer with its stored key, and an unsaved one, against a loopback Torznab server', async () => {
    const created = await call('POST', '/api/indexers', {
      id: 'local',
      type: 'torznab',
      settings: {
        url: indexer.apiUrl,
        apiKey: INDEXER_KEY,
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(created.status).toBe(201);
    expect(soulspot.provider.indexerIds).toContain('torznab:local');
    const before = indexer.count('caps');
    const stored = await call('POST', '/api/indexers/test', { id: 'local' });
    expect(stored.json).toMatchObject({ ok: true, details: { musicSearch: true } });
    expect(indexer.count('caps')).toBeGreaterThan(before);
    const wrong = await call('POST', '/api/indexers/test', {
      id: 'local',
      settings: { apiKey: 'wrong-key-abcdef' },
    });
    expect(wrong.json.ok).toBe(false);
    expect(wrong.json.message).not.toContain('wrong-key-abcdef');
    const unsaved = await call('POST', '/api/indexers/test', {
      type: 'torznab',
      settings: {
        url: indexer.apiUrl,
        apiKey: INDEXER_KEY,
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(unsaved.json.ok).toBe(true);
    // Health lists it (the health check answers without a key).
    await waitUntil(
      async () => {
        const h = await soulspot.app.inject({ method: 'GET', url: '/api/health' });
        return h.json().providers['torznab:local'] !== undefined;
      },
      { what: 'the indexer in /api/health', timeoutMs: 5000 },
    );
    // A profile may name it now (the configured ids are read at each write), and keeps working
    // once it is gone: the search skips an unknown id (provider-order.ts).
    const profile = await call('POST', '/api/quality-profiles', {
      name: 'Local first',
      providers: ['torznab:local', 'slskd'],
    });
    expect(profile.status, JSON.stringify(profile.json)).toBe(201);
    expect((await call('DELETE', '/api/indexers/local')).status).toBe(204);
    expect(soulspot.provider.indexerIds).not.toContain('torznab:local');
    const after = await call('GET', `/api/quality-profiles/${profile.json.id}`);
    expect(after.status).toBe(200);
    const edit = await call('PATCH', `/api/quality-profiles/${profile.json.id}`, {
      name: 'Local gone',
    });
    expect(edit.status).toBe(200);
    const refused = await call('POST', '/api/quality-profiles', {
      name: 'Names a removed one',
      providers: ['torznab:local'],
    });
    expect(refused.status).toBe(400);
    const h = await soulspot.app.inject({ method: 'GET', url: '/api/health' });
    expect(h.json().providers['torznab:local']).toBeUndefined();
  });

  it('sends nothing to a loopback address unless allowPrivateAddress says so', async () => {
    canaryHits = 0;
    const refused = await call('POST', '/api/download-clients/test', {
      type: 'qbittorrent',
      settings: { url: canaryUrl, username: 'a', password: 'b' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/^settings\/url: .*allowPrivateAddress/);
    // A name that resolves to loopback is refused after resolving, before connecting.
    const port = new URL(canaryUrl).port;
    await expect(
      guardedFetch({}, { maxBytes: 1000, timeoutMs: 2000 })(`http://localhost:${port}/`),
    ).rejects.toThrow(/refused/);
    expect(checkAddress('127.0.0.1').ok).toBe(false);
    expect(checkAddress('192.168.1.2').ok).toBe(false);
    expect(canaryHits).toBe(0);
    // Allowed: the test reaches it (the canary is no qBittorrent, so the login fails).
    const allowed = await call('POST', '/api/download-clients/test', {
      type: 'qbittorrent',
      settings: { url: canaryUrl, username: 'a', password: 'b', allowPrivateAddress: true },
    });
    expect(allowed.status).toBe(200);
    expect(canaryHits).toBeGreaterThan(0);
  });

  it('a PATCH moving a url to another server needs the secret again, naming the field', async () => {
    const created = await call('POST', '/api/download-clients', {
      ...qbt(),
      id: 'qbt-move',
    });
    expect(created.status).toBe(201);
    // Another port is another server: the stored password must not follow the url there.
    const moved = await call('PATCH', '/api/download-clients/qbt-move', {
      settings: { url: otherUrl },
    });
    expect(moved.status).toBe(400);
    expect(moved.json.message).toBe(
      'settings/password: must be given again (or null) when url moves to another server',
    );
    // The same server under another path keeps it.
    const samePlace = await call('PATCH', '/api/download-clients/qbt-move', {
      settings: { url: `${canaryUrl}/qbt` },
    });
    expect(samePlace.status).toBe(200);
    expect(samePlace.json.secrets).toEqual({ password: { set: true } });
    const given = await call('PATCH', '/api/download-clients/qbt-move', {
      settings: { url: otherUrl, password: 'a-new-password-for-other' },
    });
    expect(given.status).toBe(200);
    const ix = await call('POST', '/api/indexers', {
      id: 'ix-move',
      type: 'torznab',
      settings: {
        url: indexer.apiUrl,
        apiKey: INDEXER_KEY,
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(ix.status).toBe(201);
    const ixMoved = await call('PATCH', '/api/indexers/ix-move', {
      settings: { url: `${otherUrl}/api` },
    });
    expect(ixMoved.status).toBe(400);
    expect(ixMoved.json.message).toMatch(/^settings\/apiKey: must be given again/);
    const cleared = await call('PATCH', '/api/indexers/ix-move', {
      settings: { url: `${otherUrl}/api`, apiKey: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.json.secrets).toEqual({ apiKey: { set: false } });
    const sab = await call('POST', '/api/download-clients', {
      id: 'sab-move',
      type: 'sabnzbd',
      settings: { url: canaryUrl, apiKey: SAB_KEY, allowPrivateAddress: true },
    });
    expect(sab.status).toBe(201);
    const sabMoved = await call('PATCH', '/api/download-clients/sab-move', {
      settings: { url: otherUrl },
    });
    expect(sabMoved.status).toBe(400);
    expect(sabMoved.json.message).toBe(
      'settings/apiKey: must be given again when url moves to another server',
    );
    expect(otherRequests.filter((r) => r.includes(QBT_PASSWORD) || r.includes(SAB_KEY))).toEqual(
      [],
    );
    for (const path of [
      '/api/indexers/ix-move',
      '/api/download-clients/qbt-move',
      '/api/download-clients/sab-move',
    ])
      expect((await call('DELETE', path)).status).toBe(204);
  });

  it('the test endpoint sends a stored secret only to the server it was given for', async () => {
    expect((await call('POST', '/api/download-clients', { ...qbt(), id: 'qbt-t' })).status).toBe(
      201,
    );
    const moved = await call('POST', '/api/download-clients/test', {
      id: 'qbt-t',
      settings: { url: otherUrl },
    });
    expect(moved.status).toBe(400);
    expect(moved.json.message).toBe(
      'settings/password: must be given again (or null) when url moves to another server',
    );
    // The environment's entries are stored secrets too.
    const envIndexer = await call('POST', '/api/indexers/test', {
      id: 'envix',
      settings: { url: `${otherUrl}/api` },
    });
    expect(envIndexer.status).toBe(400);
    expect(envIndexer.json.message).toMatch(/^settings\/apiKey: must be given again/);
    const envClient = await call('POST', '/api/download-clients/test', {
      id: 'qbittorrent',
      settings: { url: otherUrl, allowPrivateAddress: true },
    });
    expect(envClient.status).toBe(400);
    expect(envClient.json.message).toMatch(/^settings\/password: must be given again/);
    // Given again (or null), the test goes there with what was given.
    const given = await call('POST', '/api/download-clients/test', {
      id: 'qbt-t',
      settings: { url: otherUrl, password: 'typed-for-the-other-one' },
    });
    expect(given.status).toBe(200);
    const cleared = await call('POST', '/api/indexers/test', {
      id: 'envix',
      settings: { url: `${otherUrl}/api`, apiKey: null },
    });
    expect(cleared.status).toBe(200);
    expect(otherRequests.some((r) => r.includes('typed-for-the-other-one'))).toBe(true);
    expect(otherRequests.filter((r) => r.includes(QBT_PASSWORD) || r.includes(ENV_KEY))).toEqual(
      [],
    );
    expect((await call('DELETE', '/api/download-clients/qbt-t')).status).toBe(204);
  });

  it("an environment client tested at another url gets the API's address rule, not plain fetch", async () => {
    const refused = await call('POST', '/api/download-clients/test', {
      id: 'qbittorrent',
      settings: { url: otherUrl, password: 'typed-for-an-env-test' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/^settings\/url: 127\.0\.0\.1 is a loopback address/);
    // A name resolving to loopback is refused too (after resolving, before connecting).
    const byName = await call('POST', '/api/download-clients/test', {
      id: 'qbittorrent',
      settings: {
        url: otherUrl.replace('127.0.0.1', 'localhost.'),
        password: 'typed-for-an-env-test',
      },
    });
    expect(byName.json.ok).toBe(false);
    expect(otherRequests.filter((r) => r.includes('typed-for-an-env-test'))).toEqual([]);
    // Its own url stays the operator's (plain fetch, as it runs).
    const own = await call('POST', '/api/download-clients/test', { id: 'qbittorrent' });
    expect(own.status).toBe(200);
  });

  it("never quotes a SABnzbd key, however the URL encodes it, in a test's message, health or log", async () => {
    // A loopback port nothing listens on: connection refused, an error about the request's URL.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const key = 'sab+key/with=odd&chars!';
    const created = await call('POST', '/api/download-clients', {
      id: 'sab-odd',
      type: 'sabnzbd',
      settings: { url: `http://127.0.0.1:${port}`, apiKey: key, allowPrivateAddress: true },
    });
    expect(created.status).toBe(201);
    const tested = await call('POST', '/api/download-clients/test', { id: 'sab-odd' });
    expect(tested.json.ok).toBe(false);
    await waitUntil(
      async () => (await call('GET', '/api/download-clients/sab-odd')).json.health.lastError,
      { what: 'the health probe to fail', timeoutMs: 10_000 },
    );
    soulspot.log.flush?.();
    await new Promise((r) => setTimeout(r, 50));
    const forms = [
      key,
      encodeURIComponent(key),
      new URLSearchParams({ k: key }).toString().slice(2),
    ];
    for (const form of forms) {
      expect(
        bodies.filter((b) => b.includes(form)),
        form,
      ).toEqual([]);
      expect(
        logLines.filter((l) => l.includes(form)),
        form,
      ).toEqual([]);
    }
    expect((await call('DELETE', '/api/download-clients/sab-odd')).status).toBe(204);
  });

  it("two PATCHes at once each keep the other one's change (no lost update)", async () => {
    expect((await call('POST', '/api/download-clients', { ...qbt(), id: 'qbt-race' })).status).toBe(
      201,
    );
    const [a, b] = await Promise.all([
      call('PATCH', '/api/download-clients/qbt-race', { settings: { category: 'from-a' } }),
      call('PATCH', '/api/download-clients/qbt-race', { enabled: false }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const after = await call('GET', '/api/download-clients/qbt-race');
    expect(after.json).toMatchObject({ enabled: false, settings: { category: 'from-a' } });
    expect((await call('DELETE', '/api/download-clients/qbt-race')).status).toBe(204);
  });

  it('an indexer created while its client is removed: one of the two is refused, never both done', async () => {
    for (let i = 0; i < 8; i++) {
      const client = `qbt-gone-${i}`;
      expect((await call('POST', '/api/download-clients', { ...qbt(), id: client })).status).toBe(
        201,
      );
      const [created, removed] = await Promise.all([
        call('POST', '/api/indexers', {
          id: `ix-gone-${i}`,
          type: 'torznab',
          settings: {
            url: indexer.apiUrl,
            apiKey: INDEXER_KEY,
            clientId: client,
            allowPrivateAddress: true,
          },
        }),
        call('DELETE', `/api/download-clients/${client}`),
      ]);
      // Either the indexer came first (the client stays: an indexer names it) or the removal did
      // (the indexer names a client that is gone).
      expect([
        [201, 409],
        [409, 204],
      ]).toContainEqual([created.status, removed.status]);
      const indexers = (await call('GET', '/api/indexers')).json.items as { id: string }[];
      const clients = (await call('GET', '/api/download-clients')).json.items as { id: string }[];
      expect(
        indexers.some((x) => x.id === `ix-gone-${i}`),
        `round ${i}`,
      ).toBe(clients.some((c) => c.id === client));
      if (created.status === 201)
        expect((await call('DELETE', `/api/indexers/ix-gone-${i}`)).status).toBe(204);
      await call('DELETE', `/api/download-clients/${client}`);
    }
  });

  it("a client's type cannot change to another protocol under an indexer that names it", async () => {
    expect(
      (await call('POST', '/api/download-clients', { ...qbt(), id: 'qbt-proto' })).status,
    ).toBe(201);
    const ix = await call('POST', '/api/indexers', {
      id: 'ix-proto',
      type: 'torznab',
      settings: { url: indexer.apiUrl, clientId: 'qbt-proto', allowPrivateAddress: true },
    });
    expect(ix.status).toBe(201);
    // NZBGet takes qBittorrent's settings as they are, but fetches Usenet releases only.
    const changed = await call('PATCH', '/api/download-clients/qbt-proto', { type: 'nzbget' });
    expect(changed.status).toBe(409);
    expect(changed.json.message).toBe(
      'type: indexers ix-proto send torrent releases to "qbt-proto"; change or remove them first',
    );
    expect((await call('GET', '/api/download-clients/qbt-proto')).json.type).toBe('qbittorrent');
    expect((await call('DELETE', '/api/indexers/ix-proto')).status).toBe(204);
    const free = await call('PATCH', '/api/download-clients/qbt-proto', { type: 'nzbget' });
    expect(free.status).toBe(200);
    expect((await call('DELETE', '/api/download-clients/qbt-proto')).status).toBe(204);
  });

  it("a client's category or type stays while transfers are in flight at it (they would be dropped and fetched again)", async () => {
    expect((await call('POST', '/api/download-clients', { ...qbt(), id: 'qbt-cat' })).status).toBe(
      201,
    );
    const download = downloadRow({ status: 'downloading' });
    const attemptId = `att-${download.id}`;
    await soulspot.db.db.insertInto('downloads').values(download).execute();
    await soulspot.db.db
      .insertInto('attempts')
      .values({
        id: attemptId,
        download_id: download.id,
        round: 1,
        provider: 'qbt-cat',
        username: 'indexer',
        filename: 'Someone - Something.flac',
        size: 1000,
        extension: 'flac',
        batch_id: `batch-${download.id}`,
        transfer_id: 'abcdef0123456789abcdef0123456789abcdef01',
        state: 'enqueued',
        created_at: 1,
        updated_at: 1,
      } as never)
      .execute();
    // qBittorrent lists only its category's torrents: under another one, this one would go missing.
    const moved = await call('PATCH', '/api/download-clients/qbt-cat', {
      settings: { category: 'elsewhere' },
    });
    expect(moved.status).toBe(409);
    expect(moved.json.message).toBe(
      'settings/category: 1 transfer is in flight at "qbt-cat"; change it once it is done or cancelled',
    );
    const retyped = await call('PATCH', '/api/download-clients/qbt-cat', { type: 'nzbget' });
    expect(retyped.status).toBe(409);
    expect(retyped.json.message).toMatch(/^type: 1 transfer is in flight at "qbt-cat"/);
    // What leaves the transfers where they are is fine: a disable makes them wait.
    expect(
      (await call('PATCH', '/api/download-clients/qbt-cat', { enabled: false, position: 7 }))
        .status,
    ).toBe(200);
    await soulspot.db.db
      .updateTable('attempts')
      .set({ state: 'succeeded' } as never)
      .where('id', '=', attemptId)
      .execute();
    const later = await call('PATCH', '/api/download-clients/qbt-cat', {
      settings: { category: 'elsewhere' },
    });
    expect(later.status).toBe(200);
    await soulspot.db.db.deleteFrom('downloads').where('id', '=', download.id).execute();
    expect((await call('DELETE', '/api/download-clients/qbt-cat')).status).toBe(204);
  });

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await call('GET', '/api/docs/json')).json as { paths: Record<string, object> };
    for (const base of ['/api/indexers', '/api/download-clients']) {
      expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths[`${base}/{id}`] ?? {}).sort()).toEqual([
        'delete',
        'get',
        'patch',
      ]);
      expect(Object.keys(doc.paths[`${base}/test`] ?? {})).toEqual(['post']);
    }
  });

  it('never shows a secret in an answer or a log line', async () => {
    soulspot.log.info({ detail: `${QBT_PASSWORD} ${INDEXER_KEY} ${SAB_KEY}` }, 'probe line');
    soulspot.log.flush?.();
    await new Promise((r) => setTimeout(r, 50));
    expect(logLines.some((l) => l.includes('probe line'))).toBe(true);
    for (const secret of [QBT_PASSWORD, INDEXER_KEY, SAB_KEY, ENV_KEY, 'env-qbt-pw-1']) {
      expect(
        bodies.filter((b) => b.includes(secret)),
        secret,
      ).toEqual([]);
      expect(
        logLines.filter((l) => l.includes(secret)),
        secret,
      ).toEqual([]);
    }
  });
});
