import { randomBytes } from 'node:crypto';
import {
  constants,
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { withCollisionSuffix } from './naming.js';
import { truncateUtf8 } from './sanitize.js';

/**
 * Places a finished download into the library without ever overwriting a file or exposing a
 * partial one:
 *
 *   copy → `.<name>.soulspot-<random>.part` in the target folder → fsync → link(temp, final)
 *   → unlink temp → fsync folder → remove the source.
 *
 * Copying (instead of renaming) works across devices and leaves the download intact until the
 * library copy is durable. `link` is the atomic "create if absent": it fails with EEXIST rather than
 * replacing, so a name clash becomes "Name (2).ext". Every folder on the way is checked after
 * `realpath`, so a symlink inside the library that points outside is refused before anything is
 * written through it.
 */

export interface MoveOptions {
  /** Leave the source in place (e.g. a file still seeded or shared). */
  keepSource?: boolean;
}

const TEMP_PATTERN = /^\..*\.soulspot-[0-9a-f]+\.part$/;
/** Give up after this many " (n)" names; something is wrong with that folder. */
const MAX_COLLISIONS = 1000;
/** Codes of `link` on filesystems without hard links (exFAT, FAT, some SMB/NFS mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Whether `candidate` is strictly below `root` (the root itself is not "inside"). */
export function isInside(root: string, candidate: string): boolean {
  const base = path.resolve(root);
  const target = path.resolve(candidate);
  // root + sep: "/music-other" must not pass as inside "/music".
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
  return target !== base && target.startsWith(prefix);
}

function errorWithCode(message: string, code: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = code;
  return error;
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Segments must already be sanitized; this only refuses what would escape or be meaningless. */
function assertSafeSegments(segments: string[]): void {
  if (segments.length === 0) throw errorWithCode('no path segments given', 'EINVAL');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
      throw errorWithCode(`unsafe path segment: ${JSON.stringify(segment)}`, 'EINVAL');
    }
  }
}

/**
 * Creates each missing folder of `segments` under `root` one level at a time, refusing any existing
 * component that resolves outside the root (mkdir -p would follow such a symlink and create folders
 * outside first). Returns the real path of the deepest folder.
 */
async function ensureFolders(root: string, segments: string[]): Promise<string> {
  let current = root;
  for (const segment of segments) {
    const next = path.join(current, segment);
    try {
      await mkdir(next);
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
    }
    const real = await realpath(next);
    if (!isInside(root, real)) {
      throw errorWithCode(`${next} resolves outside the library (${real})`, 'EACCES');
    }
    if (!(await stat(real)).isDirectory()) {
      throw errorWithCode(`${next} is not a directory`, 'ENOTDIR');
    }
    current = real;
  }
  return current;
}

async function fsyncPath(target: string, flags: string): Promise<void> {
  const handle = await open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  try {
    await fsyncPath(directory, 'r');
  } catch (error) {
    // Some filesystems cannot fsync a directory (EINVAL, EISDIR); the file itself is synced.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes(codeOf(error) ?? '')) throw error;
  }
}

/**
 * Gives the temp file its final name without replacing anything; returns the name used. Without
 * hard links, an exclusive create reserves the name and a rename then fills it: a crash between the
 * two leaves an empty file under the final name, the one weaker guarantee on such filesystems.
 */
async function placeExclusively(
  temp: string,
  directory: string,
  fileName: string,
): Promise<string> {
  let useLinks = true;
  for (let n = 1; n <= MAX_COLLISIONS; n++) {
    const target = path.join(directory, withCollisionSuffix(fileName, n));
    if (useLinks) {
      try {
        await link(temp, target);
        // A temp file left here by a failing unlink is hidden and swept later; the move is done.
        await unlink(temp).catch(() => undefined);
        return target;
      } catch (error) {
        if (codeOf(error) === 'EEXIST') continue;
        if (!NO_HARD_LINKS.has(codeOf(error) ?? '')) throw error;
        useLinks = false;
      }
    }
    try {
      await (await open(target, 'wx')).close();
    } catch (error) {
      if (codeOf(error) === 'EEXIST') continue;
      throw error;
    }
    try {
      await rename(temp, target);
      return target;
    } catch (error) {
      await unlink(target).catch(() => undefined);
      throw error;
    }
  }
  throw errorWithCode(`more than ${MAX_COLLISIONS} files named like ${fileName}`, 'EEXIST');
}

/**
 * Copies `source` to `<realpath(libraryRoot)>/<segments…>` (with " (n)" on a clash) and returns the
 * absolute final path. Errors keep their `code` (ENOSPC, EACCES, EPERM, …) so callers can classify
 * them; on any error no temp file is left behind.
 */
export async function moveIntoLibrary(
  source: string,
  libraryRoot: string,
  segments: string[],
  options: MoveOptions = {},
): Promise<string> {
  assertSafeSegments(segments);
  const root = await realpath(libraryRoot);
  const fileName = segments[segments.length - 1] as string;
  if (!isInside(root, path.join(root, ...segments))) {
    throw errorWithCode('target path escapes the library', 'EACCES');
  }
  const sourceStats = await stat(source);
  if (!sourceStats.isFile()) throw errorWithCode(`${source} is not a regular file`, 'EINVAL');
  const directory = await ensureFolders(root, segments.slice(0, -1));

  // Short enough that the temp name itself fits in 255 bytes.
  const tempName = `.${truncateUtf8(fileName, 200)}.soulspot-${randomBytes(6).toString('hex')}.part`;
  const temp = path.join(directory, tempName);
  let finalPath: string;
  try {
    // FICLONE makes a reflink where the filesystem can, a plain copy elsewhere.
    await copyFile(source, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    await fsyncPath(temp, 'r+');
    const copied = await stat(temp);
    if (copied.size !== sourceStats.size) {
      throw errorWithCode(`copy is ${copied.size} bytes, source ${sourceStats.size}`, 'EIO');
    }
    finalPath = await placeExclusively(temp, directory, fileName);
    await fsyncDirectory(directory);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }

  if (!options.keepSource) {
    // The library copy is durable now. A source we cannot remove stays in the download folder; that
    // is harmless, whereas failing here would make a retry file the track a second time as " (2)".
    await unlink(source).catch(() => undefined);
  }
  return finalPath;
}

export interface StaleTempOptions {
  /**
   * Only files at least this old are removed, so a move in progress in another SoulSpot process
   * sharing the library is not broken. Default 10 minutes; 0 removes all.
   */
  olderThanMs?: number;
  now?: number;
}

/** Deletes leftover `.*.soulspot-*.part` files under the library (after a crash); returns how many. */
export async function removeStaleTempFiles(
  libraryRoot: string,
  options: StaleTempOptions = {},
): Promise<number> {
  const olderThan = options.olderThanMs ?? 10 * 60_000;
  const now = options.now ?? Date.now();
  let removed = 0;
  const pending = [await realpath(libraryRoot)];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'EACCES') continue;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      // Dirent types come from lstat: symlinked folders are not followed out of the library.
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() && TEMP_PATTERN.test(entry.name)) {
        const stats = await lstat(full).catch(() => null);
        if (!stats || now - stats.mtimeMs < olderThan) continue;
        await unlink(full).then(
          () => removed++,
          (error: unknown) => {
            if (codeOf(error) !== 'ENOENT') throw error;
          },
        );
      }
    }
  }
  return removed;
}
