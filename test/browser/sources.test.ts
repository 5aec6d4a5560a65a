import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadClientDto, IndexerDto } from '../../web/src/types.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import {
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startUiStack,
  until,
  type UiStack,
} from './harness.js';

const KEY = 'indexer-key-0123';
/** Nothing listens there: a client that cannot be reached. */
const DEAD = 'http://127.0.0.1:9';
/** A URL the schema takes whose text would be markup if it were rendered as HTML. */
const MARKUP_URL = `${DEAD}/api?x=<img/src=x/onerror=alert(1)>`;

/**
 * The Sources page against the real /api/indexers and /api/download-clients (src/sources): a
 * download client from SOULSPOT_DOWNLOAD_CLIENTS shown read-only, an indexer added through the
 * form (the API's 400 on its field first), tested against a real Torznab indexer on loopback,
 * edited without retyping its key, and a second one moved, switched off and deleted.
 */
describe('the Sources page in a real browser', () => {
  let stack: UiStack;
  let browser: Browser;
  let indexer: IndexerServer;
  beforeAll(async () => {
    indexer = await startIndexerServer({ dialect: 'torznab', apiKey: KEY });
    [stack, browser] = await Promise.all([
      startUiStack({
        env: {
          SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
            { type: 'qbittorrent', url: DEAD, username: 'admin', password: 'secret-pass' },
          ]),
        },
      }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await indexer?.close();
  });

  it('adds, tests, edits, orders, switches off and deletes sources', async () => {
    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page
      .getByRole('navigation', { name: 'Pages' })
      .getByRole('link', { name: 'Sources', exact: true })
      .click();
    await page.getByTestId('page-sources').waitFor();
    expect(await page.locator('nav a[aria-current=page]').textContent()).toBe('Sources');

    // The environment's client: listed, read-only.
    const clients = page.getByTestId('sources-client-table');
    const envClient = clients.locator('[data-testid=source-row][data-id=qbittorrent]');
    await envClient.waitFor();
    expect(await envClient.getAttribute('data-source')).toBe('environment');
    expect(await envClient.getByTestId('source-delete').count()).toBe(0);
    expect(await envClient.getByTestId('source-enabled').isDisabled()).toBe(true);

    // A Usenet client through the form; its test fails (nothing listens), as text.
    const form = page.getByTestId('source-form');
    await page.getByTestId('source-new-client').click();
    await form.locator('select[name=type]').selectOption('sabnzbd');
    await form.locator('input[name=id]').fill('sab');
    await form.locator('input[name=url]').fill(DEAD);
    await form.locator('input[name=apiKey]').fill('sab-api-key');
    await form.locator('input[name=allowPrivateAddress]').check();
    await form.getByTestId('source-save').click();
    const sab = clients.locator('[data-testid=source-row][data-id=sab]');
    await sab.waitFor();
    await sab.getByTestId('source-test').click();
    const sabResult = sab.locator('[data-testid=source-test-result][data-ok=false]');
    await sabResult.waitFor();
    expect((await sabResult.textContent())?.length).toBeGreaterThan(0);

    // An indexer: the API refuses a category, and says so on the field.
    const indexers = page.getByTestId('sources-indexer-table');
    await page.getByTestId('source-new-indexer').click();
    await form.locator('input[name=id]').fill('local');
    await form.locator('input[name=url]').fill(indexer.apiUrl);
    await form.locator('input[name=apiKey]').fill(KEY);
    await form.locator('select[name=clientId]').selectOption('qbittorrent');
    await form.locator('input[name=categories]').fill('3000, 9999999');
    await form.locator('input[name=allowPrivateAddress]').check();
    w.allowNetworkError(/\/api\/indexers$/);
    const answered = page.waitForResponse(
      (r) => r.url().endsWith('/api/indexers') && r.request().method() === 'POST',
    );
    await form.getByTestId('source-save').click();
    const refused = await answered;
    expect(refused.status()).toBe(400);
    const apiMessage = ((await refused.json()) as { message: string }).message;
    expect(apiMessage).toContain('categories');
    await form.getByTestId('source-error-categories').waitFor();
    expect(await form.getByTestId('source-form-error').textContent()).toContain(apiMessage);
    await screenshot(page, 'sources-error');

    await form.locator('input[name=categories]').fill('3000, 3040');
    await form.getByTestId('source-save').click();
    const local = indexers.locator('[data-testid=source-row][data-id=local]');
    await local.waitFor();
    const caps = indexer.requests.length;
    await local.getByTestId('source-test').click();
    await local.locator('[data-testid=source-test-result][data-ok=true]').waitFor();
    expect(indexer.requests.length).toBeGreaterThan(caps);

    // Edit without retyping the key: it is "set", the input is empty, and it is kept.
    await local.getByTestId('source-edit').click();
    expect(await form.getByTestId('source-secret-apiKey').textContent()).toContain('(set)');
    expect(await form.locator('input[name=apiKey]').inputValue()).toBe('');
    await form.locator('input[name=rateLimitPerMinute]').fill('12');
    await form.getByTestId('source-save').click();
    await form.waitFor({ state: 'detached' });
    const stored = await stack.api<IndexerDto>('GET', '/api/indexers/local');
    expect(stored.body.settings['rateLimitPerMinute']).toBe(12);
    expect(stored.body.secrets['apiKey']).toEqual({ set: true });
    expect(JSON.stringify(stored.body)).not.toContain(KEY);
    await local.getByTestId('source-test').click();
    await local.locator('[data-testid=source-test-result][data-ok=true]').waitFor();

    // A second indexer (its URL would be markup as HTML): moved first, switched off, deleted.
    await page.getByTestId('source-new-indexer').click();
    await form.locator('select[name=type]').selectOption('newznab');
    await form.locator('input[name=id]').fill('second');
    await form.locator('input[name=url]').fill(MARKUP_URL);
    await form.locator('input[name=apiKey]').fill('other-key');
    await form.locator('select[name=clientId]').selectOption('sab');
    await form.locator('input[name=allowPrivateAddress]').check();
    await form.getByTestId('source-save').click();
    const second = indexers.locator('[data-testid=source-row][data-id=second]');
    await second.waitFor();
    expect(await second.locator('td').nth(3).textContent()).toBe(MARKUP_URL);
    expect(await page.locator('img').count()).toBe(0);

    const order = () =>
      indexers
        .getByTestId('source-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(await order()).toEqual(['local', 'second']);
    await second.getByTestId('source-up').click();
    await until(async () => (await order())[0] === 'second', 'second listed first');
    const listed = await stack.api<{ items: IndexerDto[] }>('GET', '/api/indexers');
    const byPos = [...listed.body.items].sort((a, b) => a.position - b.position);
    expect(byPos.map((x) => x.id)).toEqual(['second', 'local']);

    await second.getByTestId('source-enabled').uncheck();
    await until(
      async () =>
        (await stack.api<IndexerDto>('GET', '/api/indexers/second')).body.enabled === false,
      'second switched off',
    );
    await screenshot(page, 'sources');

    await second.getByTestId('source-delete').click();
    await page.getByTestId('confirm-cancel').click();
    expect((await stack.api('GET', '/api/indexers/second')).status).toBe(200);
    await second.getByTestId('source-delete').click();
    await page.getByTestId('confirm-ok').click();
    await second.waitFor({ state: 'detached' });
    expect((await stack.api('GET', '/api/indexers/second')).status).toBe(404);

    const listedClients = await stack.api<{ items: DownloadClientDto[] }>(
      'GET',
      '/api/download-clients',
    );
    expect(listedClients.body.items.map((c) => [c.id, c.source]).sort()).toEqual([
      ['qbittorrent', 'environment'],
      ['sab', 'api'],
    ]);
    await w.finish();
  });
});
