import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../bench/feeds-server.js';
import {
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startUiStack,
  until,
  type UiStack,
} from '../../test/browser/harness.js';
import type { PageGlobals } from '../../test/browser/page-globals.js';
import type { FeedDto } from './feeds.dto.js';

/** The Feeds page in a real browser: add a watched artist and a feed, see its entries and why. */
const CANARY = 'Canary Act - <img src=x onerror=alert(1)> (2024) [FLAC]';

describe('the Feeds page in a real browser', () => {
  let stack: UiStack;
  let browser: Browser;
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer();
    server.feeds.set('/canary', {
      format: 'rss',
      entries: [
        { id: 'c-1', title: CANARY },
        { id: 'c-2', title: 'Somebody Else - Quiet Record' },
      ],
    });
    [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await server?.close();
  });

  it('adds a watched artist and a feed, and shows entries as text with their reasons', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: 'Feeds', exact: true })
      .click();
    await page.getByTestId('page-feeds').waitFor();

    const rule = page.getByTestId('watchlist-form');
    await rule.locator('input[name=artist]').fill('Canary Act');
    await rule.getByRole('button', { name: 'Watch' }).click();
    await page.getByTestId('watchlist-row').waitFor();

    const form = page.getByTestId('feed-form');
    await form.locator('input[name=url]').fill('ftp://nope.example/feed');
    await form.getByRole('button', { name: 'Add feed' }).click();
    await page.getByTestId('feed-form-error').waitFor();
    await form.locator('input[name=url]').fill(`${server.url}/canary`);
    await form.locator('input[name=name]').fill('Canary feed');
    await form.locator('input[type=checkbox]').check();
    await form.getByRole('button', { name: 'Add feed' }).click();
    await page.getByTestId('feed-row').waitFor();

    // A new feed is polled at once by the scheduler; then "Poll now" is a 304.
    await until(
      async () =>
        (await stack.api<{ items: FeedDto[] }>('GET', '/api/feeds')).body.items[0]?.lastPoll
          ?.status === 'ok',
      'the first poll',
    );
    await page.getByRole('button', { name: 'Poll now' }).click();
    await page.getByRole('button', { name: 'Entries' }).click();
    const entries = page.getByTestId('feed-entry');
    await until(async () => (await entries.count()) === 2, 'two entries');
    const canary = page.locator('[data-testid=feed-entry][data-outcome=accepted]');
    expect(await canary.locator('td').first().textContent()).toBe(CANARY);
    expect(
      await page.locator('[data-testid=feed-entry][data-outcome=unmatched]').textContent(),
    ).toContain('"Somebody Else" is not on the watchlist');
    expect(await page.locator('[data-testid=feeds-table]').textContent()).toContain('Canary feed');
    const dom = await page.evaluate(() => ({
      img: (globalThis as unknown as PageGlobals).document.querySelectorAll('img, [onerror]')
        .length,
    }));
    expect(dom.img).toBe(0);
    await screenshot(page, 'feeds');

    await page.getByTestId('watchlist-row').getByRole('button', { name: 'Remove' }).click();
    await until(
      async () => (await page.getByTestId('watchlist-row').count()) === 0,
      'rule removed',
    );
    await w.finish();
  });
});
