// Where slskd puts bytes on disk: the partial file under the incomplete directory, the destination
// rule (default `${SOURCE_DIRECTORY}`), and the move with `Name_<ticks>.ext` on a name clash.
// Remote paths come from peers and clients, so every segment is sanitized before it touches the disk.
import { copyFile, mkdir, open, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { netTicks, now } from './format.js';

/** Splits a remote path on either separator; some clients send forward slashes. */
export const remoteSegments = (remotePath: string): string[] =>
  remotePath.split(/[\\/]/).filter((s) => s.length > 0);

/** One safe path segment: no separators, NULs, control characters, or dot-only names. */
export function safeSegment(segment: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = segment.replace(/[\u0000-\u001f/\\]/g, '_');
  return /^\.+$/.test(cleaned) || cleaned === '' ? '_' : cleaned;
}

/** True when a relative path has `.`/`..` segments or is absolute (rejected by slskd's validation). */
export const traverses = (relative: string): boolean =>
  path.isAbsolute(relative) ||
  /^[a-zA-Z]:/.test(relative) ||
  relative.split(/[\\/]/).some((s) => s === '.' || s === '..');

/**
 * The partial file. 0.26: `<incomplete>/<username>/<remote dir path>/<file>`;
 * ≤0.25: `<incomplete>/<remote parent folder>/<file>`.
 */
export function incompletePath(
  incompleteDir: string,
  username: string,
  remotePath: string,
  byUser: boolean,
): string {
  const segments = remoteSegments(remotePath).map(safeSegment);
  const base = segments.pop() ?? '_';
  const dirs = byUser ? [safeSegment(username), ...segments] : segments.slice(-1);
  return path.join(incompleteDir, ...dirs, base);
}

export interface DestinationTokens {
  username: string;
  remotePath: string;
  batchId?: string;
  searchId?: string;
  searchText?: string;
}

/**
 * Final directory of a download. The pattern is the batch's `options.destination` or slskd's default
 * `${SOURCE_DIRECTORY}` (the remote parent folder name); `{}` means the downloads root.
 */
export function destinationDir(
  downloadsDir: string,
  pattern: string | undefined,
  tokens: DestinationTokens,
): string {
  const remoteDirs = remoteSegments(tokens.remotePath).slice(0, -1);
  const values: Record<string, string> = {
    SOURCE_USERNAME: tokens.username,
    SOURCE_PATH: remoteDirs.join('/'),
    SOURCE_DIRECTORY: remoteDirs.at(-1) ?? '',
    BATCH_ID: tokens.batchId ?? 'unknown_batch_id',
    BATCH_EXTERNAL_ID: 'unknown_batch_external_id', // slskd drops externalId (bug, §5.1)
    SEARCH_ID: tokens.searchId ?? 'unknown_search_id',
    SEARCH_TEXT: tokens.searchText ?? 'unknown_search_text',
  };
  const expanded = (pattern ?? '${SOURCE_DIRECTORY}').replace(
    /\$\{([A-Z_]+)\}/g,
    (whole, name: string) => values[name] ?? whole,
  );
  // Token values may contain separators (SOURCE_PATH), so split after expanding, then sanitize.
  const segments = expanded === '{}' ? [] : remoteSegments(expanded).map(safeSegment);
  return path.join(downloadsDir, ...segments);
}

const exists = async (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Chunks of a slow cross-device copy are written this often. */
const COPY_TICK_MS = 50;

/**
 * What .NET's File.Move does across devices: create the destination and copy into it (here at a set
 * speed, so a reader can catch the file half-written), then delete the source.
 */
async function copyAcross(
  from: string,
  to: string,
  bytesPerSecond: number,
  signal?: AbortSignal,
): Promise<void> {
  const input = await open(from, 'r');
  const output = await open(to, 'wx');
  try {
    const chunk = Buffer.alloc(Math.max(1, Math.floor((bytesPerSecond * COPY_TICK_MS) / 1000)));
    let position = 0;
    for (;;) {
      const { bytesRead } = await input.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      await output.write(chunk, 0, bytesRead, position);
      position += bytesRead;
      await sleep(COPY_TICK_MS, undefined, { signal });
    }
  } finally {
    await Promise.all([input.close(), output.close()]);
  }
  await unlink(from);
}

export interface MoveOptions {
  /** Copy at this speed instead of renaming (a move across devices). */
  crossDeviceBytesPerSecond?: number;
  signal?: AbortSignal;
}

/** Moves the finished partial into place, renaming on a clash; returns the absolute final path. */
export async function moveIntoPlace(
  partial: string,
  dir: string,
  basename: string,
  incompleteDir: string,
  options: MoveOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  let target = path.resolve(dir, basename);
  if (await exists(target)) {
    const ext = path.extname(basename);
    target = path.resolve(
      dir,
      `${basename.slice(0, basename.length - ext.length)}_${netTicks(now())}${ext}`,
    );
  }
  if (options.crossDeviceBytesPerSecond !== undefined) {
    await copyAcross(partial, target, options.crossDeviceBytesPerSecond, options.signal);
  } else {
    try {
      await rename(partial, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(partial, target);
      await unlink(partial);
    }
  }
  await removeEmptyParents(path.dirname(partial), incompleteDir);
  return target;
}

/** slskd deletes the emptied incomplete folder after the move; walk up but never past the root. */
async function removeEmptyParents(dir: string, root: string): Promise<void> {
  const top = path.resolve(root);
  for (let d = path.resolve(dir); d !== top && d.startsWith(top + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (another download in progress) or already gone
    }
  }
}
