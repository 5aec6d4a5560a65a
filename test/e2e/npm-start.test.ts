import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../emulator/emulator.js';
import { API_KEY, fastEnv, SLSKD_KEY } from '../helpers/stack.js';
import { freePort, waitForHealth } from '../helpers/process.js';

const repo = path.resolve(import.meta.dirname, '..', '..');

/**
 * The README's run command itself: `npm start` builds what is out of date (the web UI, the
 * server), runs the compiled server, and that server serves the API and the web UI from the
 * repository's `web/dist` (a path that differs by one folder between source and build).
 */
describe('npm start', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-npm-start-'));
  let emulator: Emulator | undefined;
  afterAll(async () => {
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the compiled server, which serves the API and the web UI', async () => {
    emulator = await createEmulator({
      downloadsDir: path.join(root, 'slskd', 'downloads'),
      incompleteDir: path.join(root, 'slskd', 'incomplete'),
      users: [],
      apiKey: SLSKD_KEY,
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawn('npm', ['start'], {
      cwd: repo,
      detached: true,
      env: {
        ...process.env,
        ...fastEnv(root),
        SOULSPOT_PORT: String(port),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    try {
      // A fresh clone builds the UI and the server first: minutes on a loaded 2-core machine.
      await waitForHealth(url, 280_000, child).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output}`);
      });
      // The compiled server, not tsx (scripts/start.js says when it falls back to the sources).
      expect(output).not.toContain('running from source');
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      const list = await fetch(`${url}/api/downloads`, { headers: { 'x-api-key': API_KEY } });
      expect(list.status).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="app"');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }, 300_000);
});
