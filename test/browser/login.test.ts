import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startUiStack,
  type UiStack,
} from './harness.js';
import type { PageGlobals } from './page-globals.js';

describe('logging in and out in the browser', () => {
  let stack: UiStack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startUiStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows the API message for a wrong key, logs in with the right one, and logs out', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    w.allowNetworkError(/\/api\/session$/);
    await page.goto('/queue');
    await page.getByTestId('login-form').waitFor();
    // The login form shows as soon as the session ends; the address follows in the effect after
    // that render, so wait for it rather than read it at once.
    await page.waitForURL((url) => url.pathname === '/login');
    await screenshot(page, 'login');

    await page.locator('#apiKey').fill('not-the-key-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    // The API's own words for a wrong key, shown as they came.
    const wrong = await fetch(`${stack.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({ apiKey: 'not-the-key-at-all' }),
    });
    const message = ((await wrong.json()) as { message: string }).message;
    expect(wrong.status).toBe(401);
    expect(await error.textContent()).toBe(message);
    expect(await page.locator('#apiKey').inputValue()).toBe('not-the-key-at-all');

    await page.locator('#apiKey').fill(API_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('[data-testid=connection][data-state=live]').waitFor();
    // Back on the page that asked for the login (the address, again, follows the render).
    await page.waitForURL((url) => url.pathname === '/queue');
    // The key is nowhere the page keeps things, and the session cookie is out of the page's reach.
    const kept = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      return [
        w.document.cookie,
        JSON.stringify({ ...w.localStorage }),
        JSON.stringify({ ...w.sessionStorage }),
        w.location.href,
      ];
    });
    for (const place of kept) expect(place).not.toContain(API_KEY);
    const cookies = await w.context.cookies();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      expect(c.httpOnly).toBe(true);
      expect(c.sameSite).toBe('Strict');
    }

    // A reload keeps the session.
    await page.reload();
    await page.locator('[data-testid=connection][data-state=live]').waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByTestId('login-form').waitFor();
    // As at the start, the address follows the form in the effect after that render.
    await page.waitForURL((url) => url.pathname === '/login');
    // The session is over on the server too: a reload stays on the login page.
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    await w.finish();
  });

  it('logs in through the helper the other browser tests use', async () => {
    const w = await openPage(browser, stack.url);
    await logIn(w);
    await w.page.getByRole('heading', { name: 'Queue' }).waitFor();
    expect(await w.page.getByTestId('queue-empty').textContent()).toBe('No downloads match.');
    await w.finish();
  });
});
