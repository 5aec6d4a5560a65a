import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../../test/helpers/audio-formats.js';
import { openConfined } from '../confine.js';
import { findFolderCover, type CoverOwnership } from './cover.js';

/** Every candidate is the download's, at its size on disk now. */
const ownsAll: CoverOwnership = (files) =>
  Promise.resolve(new Map(files.map((f) => [f, statSync(f).size] as const)));

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
    const found = await findFolderCover(root, path.join(folder, 'track.flac'), ownsAll);
    expect(found?.mime).toBe('image/png');
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 10_000);

  it('takes only an image the ownership names, and only at the size it names', async () => {
    const folder = path.join(root, 'shared');
    mkdirSync(folder);
    await makeImage(path.join(folder, 'cover.jpg'), 'red');
    await makeImage(path.join(folder, 'folder.png'), 'blue');
    const track = path.join(folder, 'track.flac');
    const asked: string[][] = [];
    const owns =
      (names: string[], sizeDelta = 0): CoverOwnership =>
      (files) => {
        asked.push(files.map((f) => path.basename(f)));
        return Promise.resolve(
          new Map(
            files
              .filter((f) => names.includes(path.basename(f)))
              .map((f) => [f, statSync(f).size + sizeDelta] as const),
          ),
        );
      };
    // cover.jpg ranks first but is someone else's: folder.png, ours, is taken.
    expect((await findFolderCover(root, track, owns(['folder.png'])))?.mime).toBe('image/png');
    expect(asked[0]).toEqual(['cover.jpg', 'folder.png']);
    expect(await findFolderCover(root, track, owns([]))).toBeNull();
    // Ours by name, but not the bytes the transfer wrote (replaced since): not taken.
    expect(await findFolderCover(root, track, owns(['cover.jpg', 'folder.png'], 1))).toBeNull();
    // No cover-named image at all: the ownership is not even asked.
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    asked.length = 0;
    expect(await findFolderCover(root, path.join(empty, 't.flac'), owns(['x']))).toBeNull();
    expect(asked).toEqual([]);
  });
});
