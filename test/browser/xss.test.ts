import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { launchBrowser, logIn, openPage, startUiStack, until, type UiStack } from './harness.js';
import type { PageGlobals } from './page-globals.js';

// Markup and script URLs where remote strings land: peer names and file names (from slskd, i.e.
// the emulator), and the title a user typed. Each would run alert() if it became HTML or a link.
const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '"><script>alert(2)</script>';
const JS_URL = 'javascript:alert(3)';
const SVG = '"><svg onload=alert(4)>';
const PEER_IMG = `${IMG}peer`;
const PEER_JS = JS_URL;
const FOLDER = `@@x\\Music\\Canary Band\\${SVG} ${JS_URL}`;
const FILE = `${FOLDER}\\01 - Canary Song ${IMG}.flac`;
const FILE_OTHER = `${FOLDER}\\01 - Canary Song ${IMG} (Live).flac`;

describe('hostile names are shown as text and never run', () => {
  let stack: UiStack;
  let browser: Browser;
  let shareDir: string;
  beforeAll(async () => {
    shareDir = mkdtempSync(path.join(tmpdir(), 'soulspot-browser-xss-'));
    const local = path.join(shareDir, 'canary.flac');
    await makeTone(local, { seconds: 2, frequency: 440, format: 'flac' });
    [stack, browser] = await Promise.all([
      startUiStack({
        users: [
          { username: PEER_IMG, files: [{ remotePath: FILE, localPath: local, bitDepth: 16 }] },
          { username: PEER_JS, files: [{ remotePath: FILE_OTHER, localPath: local }] },
        ],
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  });

  it('renders canaries in the queue, the drawer and History literally, with no dialog', async () => {
    const title = `Canary Song ${IMG}`;
    const album = `${SCRIPT} ${JS_URL}`;
    const res = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Canary Band',
      title,
      album,
    });
    expect(res.status).toBe(201);
    const id = res.body.id;

    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.getByTestId('status-filter').locator('summary').click();
    await page.getByRole('button', { name: 'All statuses' }).click();
    const row = page.locator(`[data-testid=queue-row][data-id="${id}"]`);
    await row.and(page.locator('[data-status=completed]')).waitFor({ timeout: 45_000 });
    expect(await row.locator('.title').textContent()).toBe(title);
    expect(await row.locator('.album').textContent()).toBe(album);
    expect(await row.locator('.cell.source').textContent()).toContain(PEER_IMG);

    await row.locator('.track-title').click();
    const candidates = page.getByTestId('drawer-candidates');
    await candidates.waitFor();
    await until(
      async () => ((await candidates.textContent()) ?? '').includes(`${PEER_IMG} · ${FILE}`),
      'the picked peer and file, as text',
    );
    expect(await candidates.textContent()).toContain(`${PEER_JS} · ${FILE_OTHER}`);
    expect(await page.getByText(title, { exact: true }).first().isVisible()).toBe(true);

    // None of it became an element or a link.
    const dom = await page.evaluate(() => {
      const d = (globalThis as unknown as PageGlobals).document;
      return {
        img: d.querySelectorAll('img').length,
        svg: d.querySelectorAll('svg[onload], [onerror], [onload]').length,
        scripts: Array.from(d.querySelectorAll('script')).map((s) => s.getAttribute('src')),
        jsLinks: d.querySelectorAll('a[href^="javascript:" i], [src^="javascript:" i]').length,
      };
    });
    expect(dom.img).toBe(0);
    expect(dom.svg).toBe(0);
    expect(dom.jsLinks).toBe(0);
    for (const src of dom.scripts) expect(src).toMatch(/^\/assets\/[\w-]+\.js$/);

    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'History' }).click();
    const history = page.locator(`[data-testid=history-row][data-id="${id}"]`);
    await history.waitFor();
    expect(await history.textContent()).toContain(title);
    expect(await history.textContent()).toContain(PEER_IMG);
    await w.finish();
  });
});
