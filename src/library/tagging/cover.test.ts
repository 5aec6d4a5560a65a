import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../../test/helpers/audio-formats.js';
import { openConfined } from '../confine.js';
import { findFolderCover } from './cover.js';

describe('folder cover', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-cover-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a FIFO named cover.jpg is passed over at once, not waited on; the next image is taken', async () => {
    const folder = path.join(root, 'fifo');
    mkdirSync(folder);
    execFileSync('mkfifo', [path.join(folder, 'cover.jpg')]);
    await makeImage(path.join(folder, 'folder.png'), 'blue');
    const started = Date.now();
    await expect(openConfined(root, path.join(folder, 'cover.jpg'))).rejects.toMatchObject({
      code: 'EINVAL',
    });
    const found = await findFolderCover(root, path.join(folder, 'track.flac'), 0);
    expect(found?.mime).toBe('image/png');
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 10_000);
});
