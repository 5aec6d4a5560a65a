import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import {
  emptyIndexerEnv,
  startIndexerServer,
  type IndexerServer,
} from '../helpers/indexer-server.js';
import { launchBrowser, logIn, openPage, startUiStack, until, type UiStack } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../../emulator/scenarios/manual-pick.yaml');

/**
 * The drawer shows what the indexers before the current one gave (`earlier`), and a file one of
 * them rejected can be used from there: slskd's only ranked "Tone B" is refused by its peer, the
 * live recording is rejected, and the next indexer (a Torznab server on loopback) has nothing.
 */
describe("an earlier indexer's rejected file, picked in the drawer", () => {
  let stack: UiStack;
  let browser: Browser;
  let indexer: IndexerServer;
  beforeAll(async () => {
    const scenario = await loadScenario(SCENARIO);
    indexer = await startIndexerServer({ dialect: 'torznab', apiKey: 'k', releases: [] });
    [stack, browser] = await Promise.all([
      startUiStack({
        users: scenario.users,
        env: {
          SOULSPOT_MAX_RETRIES: '0',
          ...emptyIndexerEnv(indexer.apiUrl),
        },
      }),
      launchBrowser(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await indexer?.close();
  });

  it('lists the earlier search with its reason and takes "Use anyway" from it', async () => {
    const res = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'The Sine Project',
      title: 'Tone B',
    });
    expect(res.status).toBe(201);
    const id = res.body.id;
    await until(
      async () =>
        (await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body.status === 'failed',
      'the download failed on both indexers',
      45_000,
    );

    const w = await openPage(browser, stack.url);
    const { page } = w;
    await logIn(w);
    await page.getByTestId('status-filter').locator('summary').click();
    await page.getByRole('button', { name: 'All statuses' }).click();
    const row = page.locator(`[data-testid=queue-row][data-id="${id}"]`);
    await row.and(page.locator('[data-status=failed]')).waitFor();
    await row.locator('.track-title').click();

    const earlier = page.getByTestId('drawer-earlier');
    await earlier.waitFor();
    expect(await earlier.locator('h4').textContent()).toMatch(/^Before: slskd/);
    const live = earlier.locator('tr', { hasText: 'Tone B (Live)' });
    expect(await live.textContent()).toContain('live, not requested');
    await live.getByRole('button', { name: 'Use anyway' }).click();

    await row.and(page.locator('[data-status=completed]')).waitFor({ timeout: 45_000 });
    const done = (await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
    expect(done.source).toMatchObject({ username: 'livepeer' });
    expect(done.source?.filename).toContain('Tone B (Live)');
    await w.finish();
  });
});
