/**
 * The web UI with 100,000 downloads, in Debian's chromium: first meaningful render (navigation →
 * first queue rows visible), SSE event → DOM latency (a change through the API until the row's
 * text changes, seen by a MutationObserver in the page), scroll frame times over a long scroll,
 * and the gzip size of the app shell and of each lazy chunk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildUi, TEST_WEB_DIST } from '../test/browser/build-ui.js';
import { API_KEY, launchBrowser, logIn, openPage, startUiStack } from '../test/browser/harness.js';
import type { PageGlobals } from '../test/browser/page-globals.js';
import { seedWaiting } from '../test/browser/seed.js';
import { percentile } from './setup.js';

const SEEDED = 100_000;
const RENDERS = 5;
const EVENTS = 40;
const SCROLL_FRAMES = 600;

const ms = (n: number): string => `${n.toFixed(1)} ms`;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

export interface BundleSizes {
  shell: { file: string; bytes: number; gzip: number }[];
  lazy: { file: string; bytes: number; gzip: number }[];
}

/** The shell is what index.html loads (entry, preloads, CSS); the rest loads with a page. */
export function bundleSizes(distDir: string): BundleSizes {
  const html = readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const inShell = new Set([...html.matchAll(/\/assets\/([\w.-]+)/g)].map((m) => m[1]));
  const out: BundleSizes = { shell: [], lazy: [] };
  for (const file of readdirSync(path.join(distDir, 'assets')).sort()) {
    if (!/\.(js|css)$/.test(file)) continue;
    const body = readFileSync(path.join(distDir, 'assets', file));
    const entry = { file, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
    (inShell.has(file) ? out.shell : out.lazy).push(entry);
  }
  return out;
}

export async function uiBench(): Promise<{
  figures: Record<string, string>[];
  chunks: Record<string, string>[];
}> {
  await buildUi();
  const sizes = bundleSizes(TEST_WEB_DIST);
  const stack = await startUiStack({ runWorkers: false });
  const browser = await launchBrowser();
  const figures: Record<string, string>[] = [];
  const add = (figure: string, value: string, note = '') =>
    figures.push({ figure, value, ...(note ? { note } : {}) });
  try {
    const t0 = Date.now();
    await seedWaiting(stack.soulspot, SEEDED);
    add(
      'seed 100,000 waiting downloads (direct SQL)',
      `${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);

    // First meaningful render: from navigation start to the first row in the page, per reload.
    // Page code as strings: tsx names inner functions through a helper the page does not have.
    await page.addInitScript(`
      const observer = new MutationObserver(() => {
        if (document.querySelector('[data-testid=queue-row]')) {
          window.firstRowAt = performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    `);
    const renders: number[] = [];
    for (let i = 0; i < RENDERS; i++) {
      await page.goto('/queue');
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals)['firstRowAt']);
      renders.push(
        await page.evaluate(() => (globalThis as unknown as PageGlobals)['firstRowAt'] as number),
      );
    }
    renders.sort((a, b) => a - b);
    add(
      'first meaningful render (navigation → first rows)',
      ms(percentile(renders, 50)),
      `median of ${RENDERS} loads, min ${ms(renders[0]!)}, max ${ms(renders.at(-1)!)}`,
    );

    // SSE → DOM: change the first row's priority through the API; the page notes the time its
    // priority cell shows the new value. Both clocks are this machine's wall clock.
    await page.locator('[data-testid=queue-row][data-index="0"]').waitFor();
    await page.locator('[data-testid=connection][data-state=live]').waitFor();
    const id = (await page
      .locator('[data-testid=queue-row][data-index="0"]')
      .getAttribute('data-id')) as string;
    const latencies: number[] = [];
    for (let i = 1; i <= EVENTS; i++) {
      const want = String(i);
      const shown = page.evaluate(`new Promise((resolve) => {
        const selector = '[data-testid=queue-row][data-id="${id}"] .cell.priority';
        const observer = new MutationObserver(() => {
          if (document.querySelector(selector)?.textContent === '${want}') {
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      })`) as Promise<number>;
      // The observer is in place once the evaluate call has reached the page.
      await page.evaluate(() => 0);
      const sent = performance.timeOrigin + performance.now();
      const res = await fetch(`${stack.url}/api/downloads/${id}`, {
        method: 'PATCH',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ priority: i }),
      });
      if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
      await res.arrayBuffer();
      latencies.push((await shown) - sent);
    }
    latencies.sort((a, b) => a - b);
    add(
      'API change → row text in the DOM, p50',
      ms(percentile(latencies, 50)),
      `${EVENTS} changes (PATCH priority → SSE → render)`,
    );
    add('API change → row text in the DOM, p99', ms(percentile(latencies, 99)));

    // Scroll frame times: scroll the list a fixed step per animation frame, loading pages as it goes.
    const frames = (await page.evaluate(`new Promise((resolve) => {
      const list = document.querySelector('.queue-list');
      const times = [];
      requestAnimationFrame(function step(t) {
        times.push(t);
        list.scrollTop += 180;
        if (times.length < ${SCROLL_FRAMES}) requestAnimationFrame(step);
        else resolve(times);
      });
    })`)) as number[];
    const deltas = frames
      .slice(1)
      .map((t, i) => t - frames[i]!)
      .sort((a, b) => a - b);
    const rows = await page.evaluate(
      () =>
        (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid=queue-row]')
          .length,
    );
    add(
      'scroll frame time, p50',
      ms(percentile(deltas, 50)),
      `${SCROLL_FRAMES} frames, 180 px each (${Math.round((SCROLL_FRAMES * 180) / 44)} rows)`,
    );
    add('scroll frame time, p99', ms(percentile(deltas, 99)), `${rows} rows in the DOM after`);
    await w.finish();
  } finally {
    await browser.close();
    await stack.close();
  }
  const shellGzip = sizes.shell.reduce((n, f) => n + f.gzip, 0);
  const lazyGzip = sizes.lazy.reduce((n, f) => n + f.gzip, 0);
  add('app shell, gzip (JS + CSS index.html loads)', kb(shellGzip), 'target < 100 KB');
  add('lazy chunks, gzip (all pages together)', kb(lazyGzip), `${sizes.lazy.length} files`);
  const chunks = [
    ...sizes.shell.map((f) => ({ ...f, part: 'shell' })),
    ...sizes.lazy.map((f) => ({ ...f, part: 'lazy' })),
  ].map((f) => ({
    file: f.file,
    part: f.part,
    size: kb(f.bytes),
    gzip: kb(f.gzip),
  }));
  return { figures, chunks };
}
