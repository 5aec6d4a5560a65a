import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import {
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startUiStack,
  until,
  type UiStack,
} from './harness.js';
import type { PageGlobals } from './page-globals.js';
import { shareOf } from './share.js';

const FORM_TRACKS = [
  { artist: 'Aurora Fields', title: 'Morning Glass' },
  { artist: 'Basalt', title: 'Paper Rivers' },
];
const PASTED_TRACKS = [
  { artist: 'Cinder Vale', title: 'Silent Engine' },
  { artist: 'Dune Harbor', title: 'Copper Moon' },
  { artist: 'Ember Coast', title: 'Hollow Lanterns' },
];

type Page200 = { items: DownloadDto[]; nextCursor: string | null };

describe('the Queue page in a real browser', () => {
  let stack: UiStack;
  let browser: Browser;
  let shareDir: string;
  beforeAll(async () => {
    const share = await shareOf([...FORM_TRACKS, ...PASTED_TRACKS]);
    shareDir = share.dir;
    [stack, browser] = await Promise.all([startUiStack({ users: share.users }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  });

  /** Adds `n` downloads through the API (the queue paused, so they stay waiting). */
  async function addWaiting(prefix: string, n: number): Promise<DownloadDto[]> {
    const out: DownloadDto[] = [];
    for (let i = 0; i < n; i++) {
      const res = await stack.api<DownloadDto>('POST', '/api/downloads', {
        artist: `${prefix} Artist`,
        title: `${prefix} Track ${i + 1}`,
      });
      expect(res.status).toBe(201);
      out.push(res.body);
    }
    return out;
  }

  async function queueOrder(prefix: string): Promise<string[]> {
    const res = await stack.api<Page200>(
      'GET',
      `/api/downloads?order=queue&limit=500&q=${encodeURIComponent(prefix)}`,
    );
    return res.body.items.map((d) => d.id);
  }

  /** Types into the search box and waits for the filtered list (the box is debounced). */
  async function search(page: Page, text: string, expectRows: number): Promise<void> {
    const answered = page.waitForResponse(
      (r) => r.url().includes('/api/downloads?') && r.url().includes(`q=${text}`),
    );
    await page.getByTestId('queue-search').fill(text);
    await answered;
    await until(
      async () => (await page.getByTestId('queue-row').count()) === expectRows,
      `${expectRows} rows for "${text}"`,
    );
  }

  it('adds tracks through the form and the paste box and shows them complete live', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    // Finished downloads stay in view; and a marker that a reload would lose.
    await page.getByTestId('status-filter').locator('summary').click();
    await page.getByRole('button', { name: 'All statuses' }).click();
    await page.getByTestId('status-filter').locator('summary').click();
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals)['noReload'] = true;
    });

    await page.getByTestId('add-button').click();
    for (const t of FORM_TRACKS) {
      await page.getByLabel('Artist', { exact: true }).fill(t.artist);
      await page.getByLabel('Title', { exact: true }).fill(t.title);
      await page.getByTestId('add-submit').click();
      await page.locator('[data-testid=queue-row]', { hasText: t.title }).waitFor();
    }
    await page.getByTestId('add-mode-list').click();
    await page
      .getByLabel('Tracks, one per line')
      .fill(PASTED_TRACKS.map((t) => `${t.artist} - ${t.title}`).join('\n'));
    await page.getByTestId('add-submit').click();

    const all = [...FORM_TRACKS, ...PASTED_TRACKS];
    for (const t of all) {
      const row = page.locator('[data-testid=queue-row]', { hasText: t.title });
      await row.and(page.locator('[data-status=completed]')).waitFor({ timeout: 45_000 });
      expect(await row.locator('.artist').textContent()).toBe(t.artist);
    }
    // Live: no reload happened, and the API agrees with what the page shows.
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals)['noReload'] === true),
    ).toBe(true);
    const api = await stack.api<Page200>('GET', '/api/downloads?limit=50');
    expect(api.body.items.filter((d) => d.status === 'completed')).toHaveLength(all.length);

    await page.getByRole('region', { name: 'Add downloads' }).getByLabel('Close').click();
    await screenshot(page, 'queue');
    // The drawer of a finished download: its library path and attempts.
    await page
      .locator('[data-testid=queue-row]', { hasText: FORM_TRACKS[0]!.title })
      .locator('.track-title')
      .click();
    const drawer = page.getByTestId('download-drawer');
    await drawer.waitFor();
    const filed = api.body.items.find((d) => d.title === FORM_TRACKS[0]!.title)!;
    await until(
      async () =>
        (await page.getByTestId('drawer-library-path').textContent()) === filed.libraryPath,
      'the library path in the drawer',
    );
    await drawer.getByTestId('drawer-attempts').locator('li').first().waitFor();
    await screenshot(page, 'drawer');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await w.finish();
  });

  it('pauses and resumes the whole queue', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    const button = page.getByTestId('queue-pause');
    await page.locator('[data-testid=queue-pause][data-paused=false]').waitFor();
    await button.click();
    await page.locator('[data-testid=queue-pause][data-paused=true]').waitFor();
    expect(await button.textContent()).toBe('Resume queue');
    expect((await stack.api<{ paused: boolean }>('GET', '/api/queue')).body.paused).toBe(true);
    await button.click();
    await page.locator('[data-testid=queue-pause][data-paused=false]').waitFor();
    expect((await stack.api<{ paused: boolean }>('GET', '/api/queue')).body.paused).toBe(false);
    await w.finish();
  });

  it('cancels a shift-click range of rows in one batch', async () => {
    expect((await stack.api('POST', '/api/queue/pause')).status).toBe(200);
    const added = await addWaiting('Batchcancel', 6);
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await search(page, 'Batchcancel', 6);
    const order = await queueOrder('Batchcancel');
    const rows = page.getByTestId('queue-row');
    const idAt = async (i: number) => (await rows.nth(i).getAttribute('data-id')) as string;
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(idAt))).toEqual(order);

    await rows.nth(1).locator('.cell.priority').click();
    await rows
      .nth(3)
      .locator('.cell.priority')
      .click({ modifiers: ['Shift'] });
    await page.locator('[data-testid=batch-count]', { hasText: '3 selected' }).waitFor();
    const chosen = order.slice(1, 4);
    for (const id of chosen)
      expect(
        await page
          .locator(`[data-testid=queue-row][data-id="${id}"]`)
          .getAttribute('aria-selected'),
      ).toBe('true');

    // The in-page confirm: focus on the safe choice, Tab kept inside, Escape cancels.
    const active = () =>
      page.evaluate(() =>
        (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-testid'),
      );
    await page.getByTestId('batch-cancel').click();
    const dialog = page.getByRole('alertdialog', { name: 'Cancel: 3 download(s)?' });
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await active()).toBe('confirm-cancel');
    await page.keyboard.press('Tab');
    expect(await active()).toBe('confirm-ok');
    await page.keyboard.press('Tab');
    expect(await active()).toBe('confirm-cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await active()).toBe('confirm-ok');
    // A click on the question's text takes focus off its buttons: Tab comes back inside, and
    // the keys still go to the dialog, not to the page behind it.
    await page.getByTestId('confirm-message').click();
    await page.keyboard.press('Tab');
    expect(await active()).toBe('confirm-cancel');
    await page.getByTestId('confirm-message').click();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Nothing was sent, the selection stays (Escape went to the dialog, not the page), and focus
    // is back on the button that asked.
    expect(await page.getByTestId('batch-count').textContent()).toBe('3 selected');
    expect(await active()).toBe('batch-cancel');
    for (const d of added)
      expect((await stack.api<DownloadDto>('GET', `/api/downloads/${d.id}`)).body.status).toBe(
        'waiting',
      );

    await page.getByTestId('batch-cancel').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-ok').click();
    await until(
      async () => (await page.getByTestId('batch-result').textContent())?.includes('3 done'),
      'the batch result',
    );
    expect(await dialog.count()).toBe(0);
    for (const d of added) {
      const now = await stack.api<DownloadDto>('GET', `/api/downloads/${d.id}`);
      expect(now.body.status, d.title).toBe(chosen.includes(d.id) ? 'cancelled' : 'waiting');
    }
    // The default view is what is left to do: the cancelled rows leave it, live.
    await until(async () => (await rows.count()) === 3, 'three rows left');
    await w.finish();
  });

  it('drags two selected rows below another and the API keeps the new order', async () => {
    expect((await stack.api('POST', '/api/queue/pause')).status).toBe(200);
    await addWaiting('Dragorder', 6);
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await search(page, 'Dragorder', 6);
    const before = await queueOrder('Dragorder');
    const [a, b, c, d, e, f] = before as [string, string, string, string, string, string];
    const row = (id: string) => page.locator(`[data-testid=queue-row][data-id="${id}"]`);

    // Select the first and third, then drag the first by its handle to below the fifth.
    await row(a).locator('.cell.priority').click();
    await row(c)
      .locator('.cell.priority')
      .click({ modifiers: ['ControlOrMeta'] });
    await until(
      async () => (await page.getByTestId('batch-count').textContent()) === '2 selected',
      'two rows selected',
    );
    const from = (await row(a).locator('.drag-handle').boundingBox())!;
    const to = (await row(e).boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    const steps = 12;
    for (let i = 1; i <= steps; i++) {
      const y = from.y + ((to.y + to.height * 0.8 - from.y) * i) / steps;
      await page.mouse.move(from.x + from.width / 2, y);
    }
    await page.mouse.up();

    const expected = [b, d, e, a, c, f];
    await until(async () => {
      const now = await queueOrder('Dragorder');
      return now.join() === expected.join();
    }, 'the new order in GET /api/downloads?order=queue');
    // The page shows the API's order too.
    await until(async () => {
      const ids = await page
        .getByTestId('queue-row')
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')));
      return ids.join() === expected.join();
    }, 'the new order on the page');
    await w.finish();
  });

  it('moves rows with Alt+ArrowUp/Down, announces each move, and the API keeps the order', async () => {
    expect((await stack.api('POST', '/api/queue/pause')).status).toBe(200);
    await addWaiting('Keymove', 4);
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await search(page, 'Keymove', 4);
    const [a, b, c, d] = (await queueOrder('Keymove')) as [string, string, string, string];
    const shown = () =>
      page
        .getByTestId('queue-row')
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')).join());
    const announced = (text: string) =>
      until(
        async () => (await page.getByTestId('queue-announce').textContent())?.includes(text),
        `"${text}" announced`,
      );
    const apiOrder = async (want: string[]) => {
      await until(
        async () => (await queueOrder('Keymove')).join() === want.join(),
        `${want.join()} in the API`,
      );
      await until(async () => (await shown()) === want.join(), 'the same order on the page');
    };
    expect(await page.getByTestId('queue-announce').getAttribute('aria-live')).toBe('polite');

    // Focus (and select) the second row, then move it down twice and up once.
    await page.locator(`[data-testid=queue-row][data-id="${b}"] .cell.priority`).click();
    await page.keyboard.press('Alt+ArrowDown');
    await announced('Keymove Artist – Keymove Track 2 moved to position 3');
    await apiOrder([a, c, b, d]);
    await page.keyboard.press('Alt+ArrowDown');
    await apiOrder([a, c, d, b]);
    await page.keyboard.press('Alt+ArrowDown');
    await announced('Already at the bottom');
    await page.keyboard.press('Alt+ArrowUp');
    await announced('moved to position 3');
    await apiOrder([a, c, b, d]);
    // The focus followed the row.
    expect(
      await page.locator(`[data-testid=queue-row][data-id="${b}"]`).getAttribute('class'),
    ).toContain('focused');

    // Two selected rows move together.
    await page
      .locator(`[data-testid=queue-row][data-id="${d}"] .cell.priority`)
      .click({ modifiers: ['ControlOrMeta'] });
    await page.keyboard.press('Alt+ArrowUp');
    await announced('2 downloads moved to position');
    await apiOrder([a, b, d, c]);
    await w.finish();
  });
});
