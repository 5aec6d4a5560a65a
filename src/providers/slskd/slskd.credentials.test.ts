import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/provider-error.js';
import { freePort } from '../../../test/helpers/process.js';
import { transportError } from './slskd.errors.js';
import { createSlskdProvider } from './slskd.provider.js';
import { slskdSettings } from './slskd.settings.js';

// A slskd URL written with `user:password@` (a reverse proxy with Basic auth in front of slskd).

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A proxy stand-in that answers /application and records the headers it saw. */
async function proxy(): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        version: { full: '0.26.0', current: '0.26.0' },
        server: { state: 'Connected, LoggedIn', isConnected: true, isLoggedIn: true },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('slskd URL with credentials', () => {
  it('keeps them out of the URL and sends them as Basic auth', async () => {
    const { port, seen } = await proxy();
    const settings = slskdSettings({ url: `http://ad%40min:p%3Ass@127.0.0.1:${port}/slskd/` });
    expect(settings.url).toBe(`http://127.0.0.1:${port}/slskd`);
    const provider = createSlskdProvider(settings);
    await expect(provider.health()).resolves.toMatchObject({ state: 'up' });
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('ad@min:p:ss').toString('base64')}`);
  });

  it('names no password when slskd cannot be reached there', async () => {
    const port = await freePort();
    const provider = createSlskdProvider(
      slskdSettings({ url: `http://admin:hunter2-secret@127.0.0.1:${port}` }),
    );
    const error = await rejection(provider.listTransfers());
    expect(error.code).toBe('slskd_unavailable');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('scrubs credentials from a transport error even for settings built by hand', () => {
    const error = transportError(
      new TypeError('cannot reach http://u:hunter2-secret@h:1/api/v0/x'),
      'GET /x',
      { ...slskdSettings({ url: 'http://h:1' }), url: 'http://u:hunter2-secret@h:1' },
      'other',
    );
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).toContain('http://[redacted]@h:1');
  });
});
