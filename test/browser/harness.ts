/**
 * The browser tests' world: a real SoulSpot (with the built UI) and the slskd emulator, Debian's
 * chromium driven by playwright-core, and pages that fail their test on any dialog, page error or
 * console error. One browser per file, one context per test.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { TEST_WEB_DIST } from './build-ui.js';

export { API_KEY };

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** Every run's screenshots (ignored by git); docs/screenshots/ holds the committed set. */
export const SCREENSHOT_DIR = path.join(repo, 'test-results', 'screenshots');

export interface UiStack {
  root: string;
  emulator: Emulator;
  soulspot: SoulSpot;
  config: Config;
  /** Where the browser goes: SoulSpot's own address. */
  url: string;
  api<T = unknown>(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Stops SoulSpot (its SSE streams end with it); `start()` brings it back on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export interface UiStackOptions {
  users?: SimUser[];
  env?: Record<string, string>;
  /** Start without the runner's workers (a seeded queue that must stay as seeded). */
  runWorkers?: boolean;
}

export async function startUiStack(options: UiStackOptions = {}): Promise<UiStack> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-browser-'));
  const emulator = await startEmulatorIn(root, options.users ?? []);
  const base = {
    ...fastEnv(root),
    SOULSPOT_SLSKD_URL: emulator.url,
    SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
    ...options.env,
  };
  let config = loadConfig(base);
  const start = async () =>
    startSoulSpot(config, {
      webDist: TEST_WEB_DIST,
      ...(options.runWorkers === false ? { runWorkers: false } : {}),
    });
  let soulspot = await start();
  // The same port on a restart, so the page's EventSource comes back to it.
  const port = new URL(soulspot.url).port;
  config = loadConfig({ ...base, SOULSPOT_PORT: port });
  let running = true;
  const stack: UiStack = {
    root,
    emulator,
    soulspot,
    config,
    url: soulspot.url,
    api: async <T>(method: string, url: string, body?: unknown) => {
      const res = await fetch(`${stack.url}${url}`, {
        method,
        headers: {
          'x-api-key': API_KEY,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    stopServer: async () => {
      running = false;
      await soulspot.stop();
    },
    startServer: async () => {
      soulspot = await start();
      stack.soulspot = soulspot;
      running = true;
    },
    close: async () => {
      if (running) await soulspot.stop();
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return stack;
}

let versionLogged = false;

/** Debian's chromium, headless; `--no-sandbox` because CI runs as root. */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
    headless: true,
  });
  if (!versionLogged) {
    versionLogged = true;
    console.log(`chromium ${browser.version()}`);
  }
  return browser;
}

/** A page that records what must never happen: dialogs, uncaught errors, console errors. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  problems: string[];
  /**
   * A console "Failed to load resource" for a URL matching `pattern` is expected from here on
   * (a 401 from the session check when logged out; a refused stream while the server is down).
   */
  allowNetworkError(pattern: RegExp): void;
  /** Fails the test if anything was recorded; closes the context. */
  finish(): Promise<void>;
}

export async function openPage(
  browser: Browser,
  baseURL: string,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  // The app asks with its own in-page dialog (queue/ConfirmDialog.tsx): any browser dialog (an
  // alert from a canary, a confirm() coming back) fails the test.
  page.on('dialog', (dialog) => {
    problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const where = message.location().url;
    if (
      (text.startsWith('Failed to load resource') || text.includes('net::ERR_')) &&
      allowed.some((p) => p.test(where) || p.test(text))
    )
      return;
    problems.push(`console error: ${text} (${where})`);
  });
  return {
    page,
    context,
    problems,
    allowNetworkError: (pattern) => allowed.push(pattern),
    finish: async () => {
      await context.close();
      expect(problems).toEqual([]);
    },
  };
}

/** Logs in through the real form and waits for the app shell (the live connection). */
export async function logIn(watched: WatchedPage, key = API_KEY): Promise<void> {
  const { page } = watched;
  // Logged out, the app's session check is answered 401 before the form shows.
  watched.allowNetworkError(/\/api\/session$/);
  await page.goto('/');
  await page.locator('#apiKey').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('[data-testid=connection][data-state=live]').waitFor();
}

/** A screenshot into the run's artifact folder (test-results/screenshots/<name>.png). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Polls `fn` until it returns a truthy value (conditions, never fixed sleeps). */
export async function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
