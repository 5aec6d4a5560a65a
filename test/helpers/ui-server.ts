import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { SESSION_COOKIE } from '../../src/session/session.cookie.js';
import { API_KEY, fastEnv, startEmulatorIn } from './stack.js';

export interface UiServer {
  url: string;
  soulspot: SoulSpot;
  close(): Promise<void>;
}

/**
 * A real SoulSpot listening on 127.0.0.1 (queue runner off: these tests are about HTTP), with an
 * emulator as its slskd, the given built UI folder and, optionally, a shared PostgreSQL database.
 */
export async function startUiServer(
  options: { webDist?: string; databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<UiServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-ui-'));
  const emulator = await startEmulatorIn(root, []);
  const config = loadConfig({
    ...fastEnv(root),
    SOULSPOT_SLSKD_URL: emulator.url,
    ...(options.databaseUrl ? { SOULSPOT_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  });
  const soulspot = await startSoulSpot(config, {
    runWorkers: false,
    webDist: options.webDist ?? path.join(root, 'no-web-dist'),
  });
  return {
    url: soulspot.url,
    soulspot,
    close: async () => {
      await soulspot.stop();
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A folder shaped like Vite's output: index.html, one hashed script and style, a favicon. */
export function fakeWebDist(): { dir: string; script: string; style: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-web-dist-'));
  mkdirSync(path.join(dir, 'assets'));
  const script = 'index-B4xZ9q1c.js';
  const style = 'index-Dk3m0Q2a.css';
  writeFileSync(path.join(dir, 'assets', script), 'console.log("soulspot");\n');
  writeFileSync(path.join(dir, 'assets', style), 'body{margin:0}\n');
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><script type="module" src="/assets/${script}"></script>` +
      `<link rel="stylesheet" href="/assets/${style}"></head><body><div id="app"></div></body></html>`,
  );
  return { dir, script, style, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Logs in with the API key; returns the Set-Cookie header and the cookie as a browser sends it. */
export async function login(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ res: Response; setCookie: string; cookie: string }> {
  const res = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ apiKey: API_KEY }),
  });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const value = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(setCookie)?.[1] ?? '';
  return { res, setCookie, cookie: `${SESSION_COOKIE}=${value}` };
}
