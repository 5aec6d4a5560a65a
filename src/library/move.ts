import { randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  open,
  realpath,
  rename,
  stat,
  unlink,
  link,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from './fsync.js';
import { isInside, openConfined, unlinkConfined, type FileIdentity } from './confine.js';
import { sameContent } from './identical.js';
import { withCollisionSuffix } from './naming.js';
import { truncateUtf8 } from './sanitize.js';

export { isInside } from './confine.js';
export { removeStaleTempFiles, type StaleTempOptions } from './sweep.js';

/**
 * Places a finished download into the library without ever overwriting a file or exposing a
 * partial one:
 *
 *   copy (in chunks, abortable) → `.<name>.soulspot-<random>.part` in the target folder → fsync
 *   → link(temp, final) → unlink temp → fsync folder → remove the source.
 *
 * Copying (instead of renaming) works across devices and leaves the download intact until the
 * library copy is durable. `link` is the atomic "create if absent": it fails with EEXIST rather than
 * replacing, so a name clash becomes "Name (2).ext" — unless the name already holds the very same
 * bytes and the caller asked to adopt those (a filing that another owner, or an earlier run,
 * finished). Every folder on the way is checked after `realpath`, so a symlink inside the library
 * that points outside is refused before anything is written through it.
 *
 * Without hard links (exFAT, FAT, some SMB/NFS mounts) the name is reserved by an exclusive
 * `.<name>.soulspot.lock` file, never by the final name itself: absence of the final name is checked
 * under the lock and the complete temp file is then renamed into place. A kill -9 at any moment
 * leaves at most a lock and a temp file (both hidden, swept at start), never an empty or partial
 * file under a final name.
 */

/** The few file operations placement uses, replaceable in tests (a filesystem without hard links). */
export interface PlacementFs {
  link(existing: string, target: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const realFs: PlacementFs = { link, rename };

export interface MoveOptions {
  /** Leave the source in place (e.g. a file still seeded or shared). */
  keepSource?: boolean;
  /** Aborts the copy between chunks and before the file is placed; the temp file is removed. */
  signal?: AbortSignal;
  /**
   * The folder the source must lie in (after realpath). The source is opened, checked on the open
   * descriptor, read through it, and removed only if it is still that same file there.
   */
  sourceRoot?: string;
  /**
   * Runs right before each attempt to give the file a final name, e.g. a lease check: what throws
   * here stops the move and removes the temp file, so a worker that lost its job places nothing.
   */
  beforePlace?: () => Promise<void>;
  /** A final name that already holds exactly these bytes is taken as the result (no " (2)"). */
  adoptIdentical?: boolean;
  fs?: PlacementFs;
}

export interface Placement {
  /** Absolute final path. */
  path: string;
  /** False when an identical file already there was adopted: this move created nothing. */
  created: boolean;
  /** The source file that was read (to remove exactly it later). */
  source: FileIdentity;
}

const CHUNK_BYTES = 1024 * 1024;
/** Give up after this many " (n)" names; something is wrong with that folder. */
const MAX_COLLISIONS = 1000;
/** Codes of `link` on filesystems without hard links (exFAT, FAT, some SMB/NFS mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

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

/** Copies the open source into a new file, checking the abort signal between chunks; fsyncs it. */
async function copyChunks(source: FileHandle, temp: string, signal?: AbortSignal): Promise<void> {
  const out = await open(temp, 'wx', 0o644);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await source.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      let written = 0;
      while (written < bytesRead) {
        const r = await out.write(buffer, written, bytesRead - written, position + written);
        written += r.bytesWritten;
      }
      position += bytesRead;
    }
    await out.sync();
  } finally {
    await out.close();
  }
}

/** `.<name>.soulspot.lock`: reserves a final name on filesystems without hard links. */
export function lockNameFor(fileName: string): string {
  return `.${truncateUtf8(fileName, 200)}.soulspot.lock`;
}

interface PlaceContext {
  temp: string;
  directory: string;
  fileName: string;
  options: MoveOptions;
}

/** What is at `target` now: nothing, the same bytes as the temp file, or something else. */
async function occupant(target: string, temp: string): Promise<'none' | 'identical' | 'other'> {
  const found = await lstat(target).catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return null;
    throw error;
  });
  if (found === null) return 'none';
  return found.isFile() && (await sameContent(target, temp)) ? 'identical' : 'other';
}

/** Without hard links: an exclusive lock file reserves the name, then the temp file is renamed in. */
async function placeWithLock(
  ctx: PlaceContext,
  target: string,
  fs: PlacementFs,
): Promise<'placed' | 'taken' | 'identical'> {
  const lock = path.join(ctx.directory, lockNameFor(path.basename(target)));
  try {
    await (await open(lock, 'wx')).close();
  } catch (error) {
    // Another placement of this name is under way (or a crash left its lock): the name is taken.
    if (codeOf(error) === 'EEXIST') return 'taken';
    throw error;
  }
  try {
    const there = await occupant(target, ctx.temp);
    if (there !== 'none')
      return there === 'identical' && ctx.options.adoptIdentical ? there : 'taken';
    await fs.rename(ctx.temp, target);
    return 'placed';
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/**
 * Gives the temp file its final name without replacing anything; returns the name used and
 * whether this call created it (false: an identical file was adopted).
 */
async function placeExclusively(ctx: PlaceContext): Promise<{ path: string; created: boolean }> {
  const fs = ctx.options.fs ?? realFs;
  let useLinks = true;
  for (let n = 1; n <= MAX_COLLISIONS; n++) {
    const target = path.join(ctx.directory, withCollisionSuffix(ctx.fileName, n));
    if (ctx.options.adoptIdentical && (await occupant(target, ctx.temp)) === 'identical') {
      await unlink(ctx.temp).catch(() => undefined);
      return { path: target, created: false };
    }
    ctx.options.signal?.throwIfAborted();
    await ctx.options.beforePlace?.();
    if (useLinks) {
      try {
        await fs.link(ctx.temp, target);
        // A temp file left here by a failing unlink is hidden and swept later; the move is done.
        await unlink(ctx.temp).catch(() => undefined);
        return { path: target, created: true };
      } catch (error) {
        if (codeOf(error) === 'EEXIST') {
          // Placed by someone else between the look above and the link: look again.
          if (ctx.options.adoptIdentical && (await occupant(target, ctx.temp)) === 'identical') {
            await unlink(ctx.temp).catch(() => undefined);
            return { path: target, created: false };
          }
          continue;
        }
        if (!NO_HARD_LINKS.has(codeOf(error) ?? '')) throw error;
        useLinks = false;
      }
    }
    const outcome = await placeWithLock(ctx, target, fs);
    if (outcome === 'placed') return { path: target, created: true };
    if (outcome === 'identical') {
      await unlink(ctx.temp).catch(() => undefined);
      return { path: target, created: false };
    }
  }
  throw errorWithCode(`more than ${MAX_COLLISIONS} files named like ${ctx.fileName}`, 'EEXIST');
}

/**
 * Copies `source` to `<realpath(libraryRoot)>/<segments…>` (with " (n)" on a clash) and reports
 * where it went. Errors keep their `code` (ENOSPC, EACCES, EPERM, EOUTSIDE, …) so callers can
 * classify them; on any error (an abort included) no temp file is left behind.
 */
export async function placeIntoLibrary(
  source: string,
  libraryRoot: string,
  segments: string[],
  options: MoveOptions = {},
): Promise<Placement> {
  assertSafeSegments(segments);
  const root = await realpath(libraryRoot);
  const fileName = segments[segments.length - 1] as string;
  if (!isInside(root, path.join(root, ...segments))) {
    throw errorWithCode('target path escapes the library', 'EACCES');
  }
  const input = options.sourceRoot
    ? await openConfined(options.sourceRoot, source)
    : await open(source, 'r');
  let placed: { path: string; created: boolean };
  let identity: FileIdentity;
  try {
    const sourceStats = await input.stat();
    if (!sourceStats.isFile()) throw errorWithCode(`${source} is not a regular file`, 'EINVAL');
    identity = { dev: sourceStats.dev, ino: sourceStats.ino };
    const directory = await ensureFolders(root, segments.slice(0, -1));
    // Short enough that the temp name itself fits in 255 bytes.
    const tempName = `.${truncateUtf8(fileName, 200)}.soulspot-${randomBytes(6).toString('hex')}.part`;
    const temp = path.join(directory, tempName);
    try {
      await copyChunks(input, temp, options.signal);
      const copied = await stat(temp);
      if (copied.size !== sourceStats.size) {
        throw errorWithCode(`copy is ${copied.size} bytes, source ${sourceStats.size}`, 'EIO');
      }
      placed = await placeExclusively({ temp, directory, fileName, options });
      await fsyncDirectory(directory);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  } finally {
    await input.close();
  }

  if (!options.keepSource) {
    // The library copy is durable now. A source we cannot remove stays in the download folder; that
    // is harmless, whereas failing here would make a retry file the track a second time as " (2)".
    const removal = options.sourceRoot
      ? unlinkConfined(options.sourceRoot, source, identity)
      : unlink(source);
    await removal.catch(() => undefined);
  }
  return { ...placed, source: identity };
}

/**
 * The real path of the library folder for `segments` (the file name last), created one level at a
 * time with the same checks as placeIntoLibrary: where a working copy of the file is prepared
 * (post-processing) before placeStaged gives it its final name.
 */
export async function prepareLibraryFolder(
  libraryRoot: string,
  segments: string[],
): Promise<string> {
  assertSafeSegments(segments);
  const root = await realpath(libraryRoot);
  if (!isInside(root, path.join(root, ...segments))) {
    throw errorWithCode('target path escapes the library', 'EACCES');
  }
  return ensureFolders(root, segments.slice(0, -1));
}

/**
 * Gives a complete, fsynced file that already lies in `directory` (a tagged working copy) the name
 * `fileName`, by the rules of placeIntoLibrary: never over another file (" (n)" instead), an
 * identical one adopted when asked. The staged file is consumed (linked and removed, or renamed).
 */
export async function placeStaged(
  staged: string,
  directory: string,
  fileName: string,
  options: MoveOptions = {},
): Promise<{ path: string; created: boolean }> {
  const placed = await placeExclusively({ temp: staged, directory, fileName, options });
  await fsyncDirectory(directory);
  return placed;
}

/** placeIntoLibrary, answering only the final path. */
export async function moveIntoLibrary(
  source: string,
  libraryRoot: string,
  segments: string[],
  options: MoveOptions = {},
): Promise<string> {
  return (await placeIntoLibrary(source, libraryRoot, segments, options)).path;
}
