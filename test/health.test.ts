import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freePort } from './helpers/process.js';
import { API_KEY, fastEnv, SLSKD_KEY } from './helpers/stack.js';
import { waitUntil } from './helpers/wait.js';

/**
 * The open /api/health against a real SoulSpot whose slskd URL carries a user and password, with
 * nothing listening there: the real adapter's error names that URL.
 */
describe('/api/health with slskd unreachable at a URL with credentials', () => {
  let soulspot: SoulSpot | undefined;
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-health-'));
  afterAll(async () => {
    await soulspot?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('says "slskd is unreachable" and nothing of the URL, the password or the key', async () => {
    const closedPort = await freePort();
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: `http://admin:hunter2-secret@127.0.0.1:${closedPort}`,
    });
    soulspot = await startSoulSpot(config, { runWorkers: false });
    const url = soulspot.url;
    const body = await waitUntil(
      async () => {
        const res = await fetch(`${url}/api/health`);
        const json = (await res.json()) as { providers: { slskd: { state: string } } };
        return json.providers.slskd.state === 'down' ? json : null;
      },
      { what: '/api/health to report slskd down' },
    );
    expect(body).toMatchObject({ providers: { slskd: { message: 'slskd is unreachable' } } });
    const text = JSON.stringify(body);
    for (const secret of ['hunter2-secret', 'admin:', SLSKD_KEY, String(closedPort)]) {
      expect(text).not.toContain(secret);
    }
  });
});

/**
 * The same URL seen through a download: the worker's call fails, the download waits for slskd, and
 * its errorMessage (served by the API and in every download.updated event) says why. That message
 * comes from the adapter and must not carry the URL's password either.
 */
describe('a download waiting for slskd at a URL with credentials', () => {
  let soulspot: SoulSpot | undefined;
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-health-'));
  afterAll(async () => {
    await soulspot?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('names no password in the errorMessage the API serves', async () => {
    const closedPort = await freePort();
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: `http://admin:hunter2-secret@127.0.0.1:${closedPort}`,
    });
    soulspot = await startSoulSpot(config);
    const url = soulspot.url;
    const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
    const created = await fetch(`${url}/api/downloads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ artist: 'Some Artist', title: 'Some Title' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const download = await waitUntil(
      async () => {
        const res = await fetch(`${url}/api/downloads/${id}`, { headers });
        const json = (await res.json()) as { errorMessage: string | null };
        return json.errorMessage !== null ? json : null;
      },
      { what: 'the download to say why it waits' },
    );
    expect(download).toMatchObject({ errorCode: 'slskd_unavailable' });
    const text = JSON.stringify(download);
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('admin:');
  });
});
