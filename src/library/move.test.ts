import {
  access,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isInside,
  lockNameFor,
  moveIntoLibrary,
  placeIntoLibrary,
  removeStaleTempFiles,
  type PlacementFs,
} from './move.js';

let work: string;
let library: string;
let downloads: string;

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-move-')));
  library = path.join(work, 'library');
  downloads = path.join(work, 'downloads');
  await mkdir(library);
  await mkdir(downloads);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function download(name: string, content: string): Promise<string> {
  const file = path.join(downloads, name);
  await writeFile(file, content);
  return file;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Every file under a folder, relative, sorted. */
async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)))
    .sort();
}

const segments = ['Artist', 'Album', '01 - Song.flac'];

describe('isInside', () => {
  it.each<[string, string, boolean]>([
    ['/music', '/music/a', true],
    ['/music', '/music/a/b.flac', true],
    ['/music/', '/music/a', true],
    ['/music', '/music', false],
    ['/music', '/music/', false],
    ['/music', '/music-other/a', false],
    ['/music', '/musicx', false],
    ['/music', '/music/../etc/passwd', false],
    ['/music', '/music/a/../../etc', false],
    ['/music', '/etc', false],
    ['/', '/a', true],
    ['/music', 'relative/path', false],
  ])('%s contains %s: %s', (root, candidate, expected) => {
    expect(isInside(root, candidate)).toBe(expected);
  });
});

describe('moveIntoLibrary', () => {
  it('files the track, removes the source, leaves no temp file', async () => {
    const source = await download('song.flac', 'audio-1');
    const final = await moveIntoLibrary(source, library, segments);
    expect(final).toBe(path.join(library, 'Artist', 'Album', '01 - Song.flac'));
    expect(await readFile(final, 'utf8')).toBe('audio-1');
    expect(await exists(source)).toBe(false);
    expect(await listFiles(library)).toEqual([path.join('Artist', 'Album', '01 - Song.flac')]);
  });

  it('never overwrites: a second file of the same name gets " (2)", a third " (3)"', async () => {
    await moveIntoLibrary(await download('a.flac', 'first'), library, segments);
    const second = await moveIntoLibrary(await download('b.flac', 'second'), library, segments);
    const third = await moveIntoLibrary(await download('c.flac', 'third'), library, segments);
    expect(path.basename(second)).toBe('01 - Song (2).flac');
    expect(path.basename(third)).toBe('01 - Song (3).flac');
    const album = path.join(library, 'Artist', 'Album');
    expect(await readFile(path.join(album, '01 - Song.flac'), 'utf8')).toBe('first');
    expect(await readFile(second, 'utf8')).toBe('second');
    expect(await listFiles(library)).toHaveLength(3);
  });

  it('treats a folder under the final name as a clash too', async () => {
    await mkdir(path.join(library, 'Artist', 'Album', '01 - Song.flac'), { recursive: true });
    const final = await moveIntoLibrary(await download('a.flac', 'x'), library, segments);
    expect(path.basename(final)).toBe('01 - Song (2).flac');
  });

  it('keeps the source when asked', async () => {
    const source = await download('song.flac', 'keep me');
    await moveIntoLibrary(source, library, segments, { keepSource: true });
    expect(await readFile(source, 'utf8')).toBe('keep me');
  });

  it('refuses a symlinked folder that points outside the library, creating nothing there', async () => {
    const outside = path.join(work, 'outside');
    await mkdir(outside);
    await symlink(outside, path.join(library, 'Artist'));
    const source = await download('song.flac', 'x');
    await expect(moveIntoLibrary(source, library, segments)).rejects.toMatchObject({
      code: 'EACCES',
    });
    expect(await readdir(outside)).toEqual([]);
    expect(await exists(source)).toBe(true);
  });

  it('follows a symlinked folder that stays inside the library', async () => {
    await mkdir(path.join(library, 'Real Artist'));
    await symlink(path.join(library, 'Real Artist'), path.join(library, 'Artist'));
    const final = await moveIntoLibrary(await download('song.flac', 'x'), library, segments);
    expect(final).toBe(path.join(library, 'Real Artist', 'Album', '01 - Song.flac'));
  });

  it('resolves a symlinked library root and returns the real path', async () => {
    const alias = path.join(work, 'alias');
    await symlink(library, alias);
    const final = await moveIntoLibrary(await download('song.flac', 'x'), alias, segments);
    expect(final).toBe(path.join(library, 'Artist', 'Album', '01 - Song.flac'));
  });

  it.each([
    [['..', 'x.flac']],
    [['Artist', '.', 'x.flac']],
    [['a/b', 'x.flac']],
    [['a\\b.flac']],
    [['']],
    [[]],
  ])('refuses unsafe segments %j', async (bad) => {
    const source = await download('song.flac', 'x');
    await expect(moveIntoLibrary(source, library, bad)).rejects.toMatchObject({ code: 'EINVAL' });
    expect(await listFiles(work)).toEqual(['downloads/song.flac']);
  });

  it('copies across devices (the copy path is the only path)', async () => {
    // /dev/shm is a tmpfs on Linux, usually another device than the temp folder; when it is not
    // available the move still runs through the same copy code.
    const shm = (await exists('/dev/shm')) ? await mkdtemp('/dev/shm/soulspot-') : downloads;
    try {
      const source = path.join(shm, 'song.flac');
      await writeFile(source, 'from another device');
      const final = await moveIntoLibrary(source, library, segments);
      expect(await readFile(final, 'utf8')).toBe('from another device');
      expect(await exists(source)).toBe(false);
    } finally {
      if (shm !== downloads) await rm(shm, { recursive: true, force: true });
    }
  });

  it('rethrows with the code and leaves nothing behind when a folder cannot be made', async () => {
    // Runs as root, so permissions cannot make mkdir fail; a file where the folder should be does.
    await mkdir(path.join(library, 'Artist'));
    await writeFile(path.join(library, 'Artist', 'Album'), 'not a folder');
    const source = await download('song.flac', 'x');
    const error = await moveIntoLibrary(source, library, segments).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOTDIR' });
    expect(await listFiles(library)).toEqual([path.join('Artist', 'Album')]);
    expect(await exists(source)).toBe(true);
  });

  it('removes the temp file and keeps the code when placing fails after the copy', async () => {
    // A 300-byte name: the temp name is shortened and the copy succeeds, then link() fails.
    const source = await download('song.flac', 'x');
    const error = await moveIntoLibrary(source, library, [
      'Artist',
      `${'x'.repeat(300)}.flac`,
    ]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENAMETOOLONG' });
    expect(await listFiles(library)).toEqual([]);
    expect(await exists(source)).toBe(true);
  });

  it('fails with ENOENT for a missing source without creating folders', async () => {
    await expect(
      moveIntoLibrary(path.join(downloads, 'nope.flac'), library, segments),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await readdir(library)).toEqual([]);
  });

  it('refuses a source that is not a regular file', async () => {
    await expect(moveIntoLibrary(downloads, library, segments)).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });
});

describe('removeStaleTempFiles', () => {
  it('removes old leftover temp files anywhere in the library, and nothing else', async () => {
    const album = path.join(library, 'Artist', 'Album');
    await mkdir(album, { recursive: true });
    const old = new Date(Date.now() - 60 * 60_000);
    const stale = [
      path.join(library, '.x.flac.soulspot-0a1b2c3d4e5f.part'),
      path.join(album, '.01 - Song.flac.soulspot-abcdef012345.part'),
    ];
    const fresh = path.join(album, '.02 - Other.flac.soulspot-00aa11bb22cc.part');
    const keep = [
      path.join(album, '01 - Song.flac'),
      path.join(album, 'song.part'),
      path.join(album, '.hidden.soulspot-notes.txt'),
    ];
    for (const file of [...stale, ...keep]) {
      await writeFile(file, 'x');
      await utimes(file, old, old);
    }
    await writeFile(fresh, 'in progress');

    expect(await removeStaleTempFiles(library)).toBe(2);
    for (const file of stale) expect(await exists(file)).toBe(false);
    for (const file of [...keep, fresh]) expect(await exists(file)).toBe(true);

    expect(await removeStaleTempFiles(library, { olderThanMs: 0 })).toBe(1);
    expect(await exists(fresh)).toBe(false);
  });

  it('does not follow symlinks out of the library', async () => {
    const outside = path.join(work, 'outside');
    await mkdir(outside);
    const victim = path.join(outside, '.x.soulspot-abc.part');
    await writeFile(victim, 'x');
    await symlink(outside, path.join(library, 'link'));
    expect(await removeStaleTempFiles(library, { olderThanMs: 0 })).toBe(0);
    expect((await stat(victim)).isFile()).toBe(true);
  });
});

describe('moveIntoLibrary, fenced and idempotent', () => {
  it('aborts between chunks and before placing: nothing is left in the library', async () => {
    const source = await download('song.flac', 'x'.repeat(3 * 1024 * 1024));
    const controller = new AbortController();
    controller.abort(new Error('lease lost'));
    await expect(
      moveIntoLibrary(source, library, segments, { signal: controller.signal }),
    ).rejects.toThrow('lease lost');
    expect(await listFiles(library)).toEqual([]);
    expect(await exists(source)).toBe(true);
  });

  it('places nothing when the lease check before placing fails, and leaves no temp file', async () => {
    const source = await download('song.flac', 'x');
    const error = await moveIntoLibrary(source, library, segments, {
      beforePlace: () => Promise.reject(new Error('lease lost')),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'lease lost' });
    expect(await listFiles(library)).toEqual([]);
    expect(await exists(source)).toBe(true);
  });

  it('adopts a final name that already holds the same bytes instead of writing " (2)"', async () => {
    const first = await placeIntoLibrary(await download('a.flac', 'same'), library, segments);
    expect(first.created).toBe(true);
    const again = await placeIntoLibrary(await download('b.flac', 'same'), library, segments, {
      adoptIdentical: true,
    });
    expect(again).toMatchObject({ path: first.path, created: false });
    // Different bytes under the name: a real clash, " (2)".
    const other = await placeIntoLibrary(await download('c.flac', 'other'), library, segments, {
      adoptIdentical: true,
    });
    expect(path.basename(other.path)).toBe('01 - Song (2).flac');
    expect(await listFiles(library)).toHaveLength(2);
  });

  it('refuses a source outside sourceRoot and never removes it', async () => {
    const outside = path.join(work, 'outside.flac');
    await writeFile(outside, 'keep');
    await symlink(outside, path.join(downloads, 'song.flac'));
    await expect(
      moveIntoLibrary(path.join(downloads, 'song.flac'), library, segments, {
        sourceRoot: downloads,
      }),
    ).rejects.toMatchObject({ code: 'EOUTSIDE' });
    expect(await readFile(outside, 'utf8')).toBe('keep');
    expect(await listFiles(library)).toEqual([]);
  });

  it('removes only the source it read, inside sourceRoot', async () => {
    const source = await download('song.flac', 'x');
    await moveIntoLibrary(source, library, segments, { sourceRoot: downloads });
    expect(await exists(source)).toBe(false);
  });
});

describe('moveIntoLibrary without hard links', () => {
  const noLink: PlacementFs = {
    link: () => Promise.reject(Object.assign(new Error('no links'), { code: 'EPERM' })),
    rename,
  };

  it('places through a lock file and a rename, clashes become " (2)", no lock is left', async () => {
    const first = await moveIntoLibrary(await download('a.flac', 'one'), library, segments, {
      fs: noLink,
    });
    const second = await moveIntoLibrary(await download('b.flac', 'two'), library, segments, {
      fs: noLink,
    });
    expect(path.basename(first)).toBe('01 - Song.flac');
    expect(path.basename(second)).toBe('01 - Song (2).flac');
    expect(await readFile(first, 'utf8')).toBe('one');
    const album = path.join(library, 'Artist', 'Album');
    expect((await readdir(album)).sort()).toEqual(['01 - Song (2).flac', '01 - Song.flac']);
  });

  it('treats a name whose lock is held (a placement under way) as taken', async () => {
    const album = path.join(library, 'Artist', 'Album');
    await mkdir(album, { recursive: true });
    await writeFile(path.join(album, lockNameFor('01 - Song.flac')), '');
    const placed = await moveIntoLibrary(await download('a.flac', 'x'), library, segments, {
      fs: noLink,
    });
    expect(path.basename(placed)).toBe('01 - Song (2).flac');
  });

  it.each(['before-rename', 'after-rename'])(
    'a kill -9 at the placement window (%s) never leaves an empty or partial final file',
    async (when) => {
      const content = 'y'.repeat(200_000);
      const source = await download('song.flac', content);
      const script = path.resolve(import.meta.dirname, '../../test/helpers/place-at-window.ts');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, source, library, when, ...segments],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          if (b.toString().includes('window')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;

      const album = path.join(library, 'Artist', 'Album');
      const final = path.join(album, '01 - Song.flac');
      if (when === 'before-rename') {
        expect(await exists(final), 'no file under the final name').toBe(false);
      } else {
        expect(await readFile(final, 'utf8'), 'the final name holds the whole file').toBe(content);
      }
      // What is left is hidden, and the start-up sweep removes it.
      const hidden = (await readdir(album)).filter((n) => n.startsWith('.'));
      expect(hidden.length).toBeGreaterThan(0);
      await removeStaleTempFiles(library, { olderThanMs: 0 });
      expect((await readdir(album)).filter((n) => n.startsWith('.'))).toEqual([]);
      // And the name is free again for the next run (no " (2)" because of the crash).
      const again = await moveIntoLibrary(source, library, segments, {
        fs: noLink,
        adoptIdentical: true,
      });
      expect(again).toBe(final);
      expect(await readFile(final, 'utf8')).toBe(content);
    },
    30_000,
  );
});
