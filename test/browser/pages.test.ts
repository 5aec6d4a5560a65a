import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startReceiver } from '../helpers/receiver.js';
import {
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startUiStack,
  until,
  type UiStack,
} from './harness.js';
import { shareOf } from './share.js';

const TRACKS = [
  { artist: 'Fjord Lights', title: 'Winter Arcade' },
  { artist: 'Granite Moth', title: 'Salt Cathedral' },
  { artist: 'Harbor Echo', title: 'Neon Orchard' },
];

const PAGES = [
  { link: 'Albums', testid: 'page-albums', shot: 'albums' },
  { link: 'History', testid: 'page-history', shot: 'history' },
  { link: 'Blocklist', testid: 'page-blocklist', shot: 'blocklist' },
  { link: 'Quality profiles', testid: 'page-profiles', shot: 'profiles' },
  { link: 'Settings', testid: 'page-settings', shot: 'settings' },
  { link: 'Statistics', testid: 'page-stats', shot: 'statistics' },
  { link: 'Health', testid: 'page-health', shot: 'health' },
] as const;

describe('the other pages in a real browser', () => {
  let stack: UiStack;
  let browser: Browser;
  let shareDir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    const share = await shareOf(TRACKS);
    shareDir = share.dir;
    receiver = await startReceiver(() => 204);
    [stack, browser] = await Promise.all([startUiStack({ users: share.users }), launchBrowser()]);
    for (const t of TRACKS)
      expect(
        (await stack.api('POST', '/api/downloads', { ...t, album: 'Browser Sessions' })).status,
      ).toBe(201);
    await until(
      async () => {
        const page = await stack.api<{ items: DownloadDto[] }>('GET', '/api/downloads?limit=50');
        return page.body.items.filter((d) => d.status === 'completed').length === TRACKS.length;
      },
      'the tracks filed',
      45_000,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await receiver?.close();
    if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  });

  it('shows every page from the nav', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    for (const p of PAGES) {
      await page
        .getByRole('navigation', { name: 'Pages' })
        .getByRole('link', { name: p.link, exact: true })
        .click();
      await page.getByTestId(p.testid).waitFor();
      expect(await page.locator('nav a[aria-current=page]').textContent()).toBe(p.link);
      // Each page's own data first, so the screenshot shows it.
      if (p.shot === 'history')
        await until(
          async () => (await page.getByTestId('history-row').count()) === TRACKS.length,
          'history rows',
        );
      if (p.shot === 'profiles') await page.getByTestId('profile-item').first().waitFor();
      if (p.shot === 'settings') await page.getByTestId('settings-form').waitFor();
      if (p.shot === 'statistics') await page.getByTestId('stats-totals').waitFor();
      if (p.shot === 'health') await page.getByTestId('health-checks').waitFor();
      await screenshot(page, p.shot);
    }
    await w.finish();
  });

  it("shows the API's validation error on a quality profile field, then saves it", async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.goto('/profiles');
    await page.getByTestId('profile-new').click();
    const form = page.getByTestId('profile-form');
    await form.waitFor();
    await form.locator('input[name=name]').fill('Browser profile');
    await form.locator('input[name=minBitrate]').fill('200000');
    // The 400 is the point here; the browser logs it as a failed load.
    w.allowNetworkError(/\/api\/quality-profiles$/);
    const answered = page.waitForResponse(
      (r) => r.url().endsWith('/api/quality-profiles') && r.request().method() === 'POST',
    );
    await page.getByTestId('profile-save').click();
    const refused = await answered;
    expect(refused.status()).toBe(400);
    const apiMessage = ((await refused.json()) as { message: string }).message;
    expect(apiMessage).toContain('minBitrate');
    const fieldError = page.getByTestId('profile-error-minBitrate');
    await fieldError.waitFor();
    expect(await page.getByTestId('profile-error').textContent()).toContain(apiMessage);
    await screenshot(page, 'profiles-error');

    await form.locator('input[name=minBitrate]').fill('320');
    await page.getByTestId('profile-save').click();
    await page.getByTestId('profile-saved').waitFor();
    const list = await stack.api<
      | { name: string; minBitrate: number | null }[]
      | { items: { name: string; minBitrate: number | null }[] }
    >('GET', '/api/quality-profiles');
    const items = Array.isArray(list.body) ? list.body : list.body.items;
    expect(items.find((p) => p.name === 'Browser profile')?.minBitrate).toBe(320);
    await w.finish();
  });

  it('sends a notification test to a loopback receiver and shows its result', async () => {
    const allowed = await stack.api('PATCH', '/api/settings', {
      allowedPrivateTargets: [`127.0.0.1:${receiver.port}`],
    });
    expect(allowed.status).toBe(200);
    const created = await stack.api<{ id: string }>('POST', '/api/notifications', {
      name: 'Loopback hook',
      type: 'webhook',
      url: `${receiver.url}/hook`,
      events: ['download.completed'],
    });
    expect(created.status).toBe(201);

    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.goto('/settings');
    const row = page.locator(`[data-testid=target-row][data-id="${created.body.id}"]`);
    await row.waitFor();
    const before = receiver.requests.length;
    await row.getByTestId('target-test').click();
    const result = page.locator('[data-testid=target-test-result][data-ok=true]');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/^Delivered \(HTTP 204\) in \d+ ms$/);
    expect(receiver.requests.length).toBe(before + 1);
    expect(receiver.requests.at(-1)?.url).toBe('/hook');
    await w.finish();
  });
});
