import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { launchBrowser, logIn, openPage, startUiStack, until, type UiStack } from './harness.js';
import type { PageGlobals } from './page-globals.js';
import { seedWaiting } from './seed.js';

const SEEDED = 100_000;
/** Rows asked for by scrolling: 20 pages of 200, far past what one screen holds. */
const SCROLL_TO = 4000;

describe('a 100,000-download queue in the browser', () => {
  let stack: UiStack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      // No workers: the seeded queue stays as seeded.
      startUiStack({ runWorkers: false }),
      launchBrowser(),
    ]);
    await seedWaiting(stack.soulspot, SEEDED);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('scrolls far down with only a window of rows in the page', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.locator('[data-testid=queue-row][data-index="0"]').waitFor();
    await until(
      async () => (await page.getByTestId('queue-count').textContent())?.startsWith('100000 '),
      'the total from the overview',
    );
    expect(await page.locator('[data-testid=queue-row][data-index="0"] .title').textContent()).toBe(
      'Seed track 0',
    );

    // Scroll to the end of what is loaded until SCROLL_TO rows are; each end asks for a page.
    let maxRows = 0;
    let maxElements = 0;
    for (;;) {
      const seen = await page.evaluate(() => {
        const d = (globalThis as unknown as PageGlobals).document;
        const list = d.querySelector('.queue-list');
        if (!list) return null;
        list.scrollTop = list.scrollHeight;
        return {
          rows: d.querySelectorAll('[data-testid=queue-row]').length,
          elements: list.querySelectorAll('*').length,
          height: list.scrollHeight,
        };
      });
      expect(seen).not.toBeNull();
      maxRows = Math.max(maxRows, seen!.rows);
      maxElements = Math.max(maxElements, seen!.elements);
      if (seen!.height >= SCROLL_TO * 44) break;
      await page.waitForFunction(
        (h) => {
          const list = (globalThis as unknown as PageGlobals).document.querySelector('.queue-list');
          return (list?.scrollHeight ?? 0) > h;
        },
        seen!.height,
        { timeout: 20_000 },
      );
    }
    // The rows in view are the right ones, far down the list. Index and title are read in one
    // pass: the window moves while the list settles, so a row found in one call may be gone in the next.
    const [last, title] = await until(async () => {
      const rows = await page
        .getByTestId('queue-row')
        .evaluateAll((els) =>
          els.map(
            (el) =>
              [
                Number(el.getAttribute('data-index')),
                el.querySelector('.title')?.textContent,
              ] as const,
          ),
        );
      const top = rows.reduce((a, b) => (b[0] > a[0] ? b : a), [-1, undefined] as const);
      return top[0] >= SCROLL_TO - 250 ? top : null;
    }, 'rows far down rendered');
    expect(title).toBe(`Seed track ${last}`);
    console.log(
      `100,000 rows: scrolled to row ${last}; at most ${maxRows} rows and ${maxElements} elements in the list`,
    );
    expect(maxRows).toBeLessThanOrEqual(300);
    expect(maxElements).toBeLessThanOrEqual(300 * 30);
    expect(await page.getByTestId('queue-row').count()).toBeLessThanOrEqual(300);
    await w.finish();
  });

  it('shows "reconnecting" while the server is down and is live again after', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.locator('[data-testid=queue-row][data-index="0"]').waitFor();
    const first = (await page
      .locator('[data-testid=queue-row][data-index="0"]')
      .getAttribute('data-id')) as string;

    // While it is down, the page's stream and any refresh it tries are refused.
    w.allowNetworkError(/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/);
    w.allowNetworkError(/\/api\//);
    await stack.stopServer();
    await page.locator('[data-testid=connection][data-state=reconnecting]').waitFor();
    expect(await page.getByTestId('connection').textContent()).toBe('Reconnecting…');
    await stack.startServer();
    await page.locator('[data-testid=connection][data-state=live]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('connection').textContent()).toBe('Live');

    // The stream carries events again: a change made through the API shows without a reload.
    const res = await stack.api<DownloadDto>('PATCH', `/api/downloads/${first}`, { priority: 7 });
    expect(res.status).toBe(200);
    await until(
      async () =>
        (await page
          .locator(`[data-testid=queue-row][data-id="${first}"] .cell.priority`)
          .textContent()) === '7',
      'the new priority on the page',
    );
    await w.finish();
  });
});
