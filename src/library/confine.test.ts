import {
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  confinedIfExists,
  confinedRealPath,
  openConfined,
  OutsideRootError,
  unlinkConfined,
} from './confine.js';

let work: string;
let root: string;
let outside: string;
let victim: string;

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-confine-')));
  root = path.join(work, 'downloads');
  outside = path.join(work, 'outside');
  await mkdir(path.join(root, 'Album'), { recursive: true });
  await mkdir(outside);
  victim = path.join(outside, 'precious.flac');
  await writeFile(victim, 'not yours');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('confinedRealPath', () => {
  it('accepts a file inside the root and answers its real path', async () => {
    const file = path.join(root, 'Album', '01.flac');
    await writeFile(file, 'x');
    await expect(confinedRealPath(root, file)).resolves.toBe(file);
    // Through a symlinked root too: the real path comes back.
    await symlink(root, path.join(work, 'alias'));
    await expect(confinedRealPath(path.join(work, 'alias'), file)).resolves.toBe(file);
  });

  it.each([
    ['an absolute path elsewhere', () => victim],
    ['a ../ path', () => path.join(root, '..', 'outside', 'precious.flac')],
    ['the root itself', () => root],
    ['a relative path', () => 'outside/precious.flac'],
  ])('refuses %s', async (_name, candidate) => {
    await expect(confinedRealPath(root, candidate())).rejects.toBeInstanceOf(OutsideRootError);
  });

  it('refuses a symlink inside the root that points outside, file or folder', async () => {
    await symlink(victim, path.join(root, 'Album', 'link.flac'));
    await symlink(outside, path.join(root, 'Escape'));
    await expect(
      confinedRealPath(root, path.join(root, 'Album', 'link.flac')),
    ).rejects.toMatchObject({ code: 'EOUTSIDE', resolved: victim });
    await expect(
      confinedRealPath(root, path.join(root, 'Escape', 'precious.flac')),
    ).rejects.toBeInstanceOf(OutsideRootError);
  });

  it('answers null for a missing file inside, and still refuses a missing file outside', async () => {
    await expect(confinedIfExists(root, path.join(root, 'Album', 'nope.flac'))).resolves.toBeNull();
    await expect(confinedIfExists(root, '/nonexistent/x.flac')).resolves.toBeNull();
    await expect(confinedIfExists(root, victim)).rejects.toBeInstanceOf(OutsideRootError);
  });
});

describe('openConfined', () => {
  it('reads a file inside, refuses a symlink swapped in for it afterwards', async () => {
    const file = path.join(root, 'Album', '01.flac');
    await writeFile(file, 'inside');
    const handle = await openConfined(root, file);
    expect((await handle.readFile()).toString()).toBe('inside');
    await handle.close();
    // The swap: the checked name now points outside.
    await rename(file, path.join(root, 'Album', 'moved.flac'));
    await symlink(victim, file);
    await expect(openConfined(root, file)).rejects.toBeInstanceOf(OutsideRootError);
  });
});

describe('unlinkConfined', () => {
  it('removes the very file that was read, nothing else', async () => {
    const file = path.join(root, 'Album', '01.flac');
    await writeFile(file, 'first');
    const read = await stat(file);
    // Replaced by another file of the same name (written before the old one goes, so it is
    // another inode): left alone.
    await writeFile(`${file}.new`, 'second');
    await rename(`${file}.new`, file);
    await expect(unlinkConfined(root, file, { dev: read.dev, ino: read.ino })).resolves.toBe(false);
    expect(await readFile(file, 'utf8')).toBe('second');
    const now = await stat(file);
    await expect(unlinkConfined(root, file, { dev: now.dev, ino: now.ino })).resolves.toBe(true);
    expect(await exists(file)).toBe(false);
    await expect(unlinkConfined(root, file)).resolves.toBe(false);
  });

  it('never removes through a folder that resolves outside, nor outside paths', async () => {
    await symlink(outside, path.join(root, 'Escape'));
    await expect(
      unlinkConfined(root, path.join(root, 'Escape', 'precious.flac')),
    ).rejects.toBeInstanceOf(OutsideRootError);
    await expect(unlinkConfined(root, victim)).rejects.toBeInstanceOf(OutsideRootError);
    expect(await readFile(victim, 'utf8')).toBe('not yours');
  });

  it('removes a file at the root itself (slskd destination "{}")', async () => {
    const file = path.join(root, 'loose.flac');
    await writeFile(file, 'x');
    await expect(unlinkConfined(root, file)).resolves.toBe(true);
  });
});
