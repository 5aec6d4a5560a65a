import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freePort } from './helpers/process.js';
import { fastEnv, SLSKD_KEY } from './helpers/stack.js';
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
