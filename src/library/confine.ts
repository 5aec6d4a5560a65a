import { constants } from 'node:fs';
import { lstat, open, readlink, realpath, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Confinement: SoulSpot reads, copies and deletes files only inside two roots, the downloads folder
 * it shares with slskd and its own library. A path that slskd reports (its `/events` log) or that
 * SoulSpot rebuilds from a peer's remote name is untrusted: it may point anywhere (`/etc/passwd`,
 * `../`, a symlink swapped in after a check). Every check here works on `realpath`, so symlinks are
 * resolved, and the file-level helpers check again on the very file they act on (TOCTOU).
 */

/** Why a path was refused; `code` is EOUTSIDE so callers can tell it from I/O errors. */
export class OutsideRootError extends Error {
  readonly code = 'EOUTSIDE';
  constructor(
    readonly candidate: string,
    readonly root: string,
    readonly resolved: string | null,
  ) {
    super(
      `${candidate} is not inside ${root}` +
        (resolved !== null && resolved !== candidate ? ` (it resolves to ${resolved})` : ''),
    );
    this.name = 'OutsideRootError';
  }
}

/** Whether `candidate` is strictly below `root` (the root itself is not "inside"). Lexical only. */
export function isInside(root: string, candidate: string): boolean {
  const base = path.resolve(root);
  const target = path.resolve(candidate);
  // root + sep: "/music-other" must not pass as inside "/music".
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
  return target !== base && target.startsWith(prefix);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/**
 * The real path of `candidate` when it exists and lies strictly inside the real root; throws
 * OutsideRootError when it resolves elsewhere, and the fs error (ENOENT…) when it does not exist.
 */
export async function confinedRealPath(root: string, candidate: string): Promise<string> {
  const realRoot = await realpath(root);
  // A relative path from slskd means nothing here: refuse it instead of resolving it against our cwd.
  if (!path.isAbsolute(candidate)) throw new OutsideRootError(candidate, root, null);
  const real = await realpath(candidate);
  if (!isInside(realRoot, real)) throw new OutsideRootError(candidate, root, real);
  return real;
}

/** Like confinedRealPath, but answers null for a missing file (and still throws when outside). */
export async function confinedIfExists(root: string, candidate: string): Promise<string | null> {
  try {
    return await confinedRealPath(root, candidate);
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
    throw error;
  }
}

/** The real path of a folder that is the root or inside it; null when it does not exist. */
async function confinedFolder(root: string, folder: string): Promise<string | null> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(folder);
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
    throw error;
  }
  // The root itself may hold files (slskd's `{}` destination).
  if (real !== realRoot && !isInside(realRoot, real)) {
    throw new OutsideRootError(folder, root, real);
  }
  return real;
}

/** The path the kernel holds for an open file (Linux); null where /proc is not there. */
async function pathOfHandle(handle: FileHandle): Promise<string | null> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
}

/**
 * Opens a regular file for reading only if the file actually opened lies inside the root: the
 * check runs on the descriptor, so a symlink swapped in between a check and the open cannot lead
 * outside. Where /proc is missing, the real path is compared by device and inode instead.
 */
export async function openConfined(root: string, candidate: string): Promise<FileHandle> {
  const real = await confinedRealPath(root, candidate);
  // O_NONBLOCK: opening a FIFO (say, one named cover.jpg) for reading would otherwise wait for a
  // writer for ever; on a regular file it changes nothing. The type is checked on the descriptor.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = await pathOfHandle(handle);
    const realRoot = await realpath(root);
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const error: NodeJS.ErrnoException = new Error(`${candidate} is not a regular file`);
      error.code = 'EINVAL';
      throw error;
    }
    if (opened !== null) {
      if (!isInside(realRoot, opened)) throw new OutsideRootError(candidate, root, opened);
    } else {
      const now = await stat(await confinedRealPath(root, candidate));
      if (now.ino !== stats.ino || now.dev !== stats.dev) {
        throw new OutsideRootError(candidate, root, null);
      }
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Identity of a file, to make sure the file removed is the one that was read. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Removes `candidate` only if its folder still resolves inside the root and the entry is the same
 * regular file (device + inode) that was read. Returns false when there was nothing to remove.
 * Removing a different file of the same name, or through a folder swapped for a symlink, is what
 * this refuses; unlink itself never follows the last component.
 */
export async function unlinkConfined(
  root: string,
  candidate: string,
  expected?: FileIdentity,
): Promise<boolean> {
  const folder = await confinedFolder(root, path.dirname(candidate));
  if (folder === null) return false;
  const target = path.join(folder, path.basename(candidate));
  const stats = await lstat(target).catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return null;
    throw error;
  });
  if (stats === null) return false;
  if (!stats.isFile()) throw new OutsideRootError(candidate, root, target);
  if (expected && (stats.ino !== expected.ino || stats.dev !== expected.dev)) return false;
  try {
    await unlink(target);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false;
    throw error;
  }
}
