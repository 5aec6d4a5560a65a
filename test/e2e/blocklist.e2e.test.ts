import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlocklistEntryDto } from '../../src/blocklist/blocklist.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('blocklist in the pipeline (real HTTP, emulator)', () => {
  let stack: Stack;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-bl-'));
    const best = path.join(dir, 'best.flac');
    const other = path.join(dir, 'other.flac');
    await makeTone(best, { seconds: 3, frequency: 500, format: 'flac' });
    await makeTone(other, { seconds: 3, frequency: 600, format: 'flac' });
    const share = (user: string, localPath: string, extra = {}) => ({
      username: user,
      files: [
        {
          remotePath: `@@${user}\\Music\\Blue Heron\\Quiet Water (2004)\\01 - Still Pond.flac`,
          localPath,
        },
        {
          remotePath: `@@${user}\\Music\\Blue Heron\\Quiet Water (2004)\\02 - Low Reeds.flac`,
          localPath,
        },
      ],
      ...extra,
    });
    stack = await startStack({
      users: [
        // The fastest peer (ranked first) is the one the user blocks by hand.
        share('speedy', best, { behaviour: { uploadSpeed: 9_000_000 } }),
        // This one rejects: "File not shared." must block the file at once.
        share('liar', best, { behaviour: { uploadSpeed: 8_000_000, reject: 'File not shared.' } }),
        share('steady', other, { behaviour: { uploadSpeed: 1_000_000 } }),
      ],
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('skips a manually blocked user and blocks a file its peer does not share', async () => {
    const blocked = await stack.api<BlocklistEntryDto>('POST', '/api/blocklist', {
      username: 'speedy',
      reason: 'fake FLACs',
    });
    expect(blocked.status).toBe(201);

    const first = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Blue Heron',
      title: 'Still Pond',
      album: 'Quiet Water',
    });
    const [done] = await stack.waitFor((items) =>
      items.some((d) => d.id === first.body.id && d.status === 'completed'),
    );
    const d = (await stack.api<DownloadDto>('GET', `/api/downloads/${first.body.id}`)).body;
    expect(done).toBeDefined();
    // Never offered to the blocked user; the rejecting peer was tried, then the next source.
    expect(d.attempts.map((a) => a.username)).not.toContain('speedy');
    expect(d.attempts.map((a) => [a.username, a.errorCode])).toEqual([
      ['liar', 'file_not_found'],
      ['steady', null],
    ]);
    expect(d.source?.username).toBe('steady');

    const list = (await stack.api<{ items: BlocklistEntryDto[] }>('GET', '/api/blocklist')).body
      .items;
    const auto = list.find((e) => e.username === 'liar');
    expect(auto).toMatchObject({
      source: 'auto',
      filename: '@@liar\\Music\\Blue Heron\\Quiet Water (2004)\\01 - Still Pond.flac',
    });
    expect(auto?.expiresAt).not.toBeNull();

    // Unblocking makes the user a source again.
    expect((await stack.api('DELETE', `/api/blocklist/${blocked.body.id}`)).status).toBe(204);
    const second = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Blue Heron',
      title: 'Low Reeds',
      album: 'Quiet Water',
    });
    await stack.waitFor((items) =>
      items.some((x) => x.id === second.body.id && x.status === 'completed'),
    );
    const d2 = (await stack.api<DownloadDto>('GET', `/api/downloads/${second.body.id}`)).body;
    expect(d2.source?.username).toBe('speedy');
  });
});
