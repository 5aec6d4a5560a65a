import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlocklistEntryDto } from '../../src/blocklist/blocklist.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('manual retry', () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.close();
  });

  it('tries the sources of the earlier run again (the user may have fixed or unblocked them)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-mretry-'));
    const file = path.join(dir, 'x.flac');
    await makeTone(file, { seconds: 3, format: 'flac' });
    stack = await startStack({
      users: [
        {
          username: 'moody',
          behaviour: { reject: 'File not shared.' },
          files: [
            {
              remotePath: '@@md\\Music\\Grey Sky\\Rain (2020)\\01 - Drizzle.flac',
              localPath: file,
            },
          ],
        },
      ],
      env: { SOULSPOT_MAX_RETRIES: '0' },
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Grey Sky',
      title: 'Drizzle',
    });
    await stack.waitFor((items) =>
      items.some((d) => d.id === created.body.id && d.status === 'failed'),
    );

    // The peer shares the file again; the user lifts the automatic block and retries.
    stack.emulator.setBehaviour('moody', { reject: undefined });
    const entries = (await stack.api<{ items: BlocklistEntryDto[] }>('GET', '/api/blocklist')).body
      .items;
    expect(entries.map((e) => e.username)).toEqual(['moody']);
    for (const e of entries) await stack.api('DELETE', `/api/blocklist/${e.id}`);
    const retried = await stack.api<DownloadDto>('POST', `/api/downloads/${created.body.id}/retry`);
    expect(retried.status).toBe(200);

    await stack.waitFor((items) =>
      items.some(
        (d) =>
          d.id === created.body.id &&
          d.status !== 'waiting' &&
          d.status !== 'searching' &&
          d.status !== 'queued' &&
          d.status !== 'downloading' &&
          d.status !== 'processing',
      ),
    );
    const done = (await stack.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
    expect(done.status).toBe('completed');
    expect(done.attempts.map((a) => [a.username, a.outcome])).toEqual([
      ['moody', 'failed'],
      ['moody', 'succeeded'],
    ]);
  });
});
