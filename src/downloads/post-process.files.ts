import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { openConfined } from '../library/confine.js';
import { fsyncDirectory } from '../library/fsync.js';
import type { Placement } from '../library/move.js';

/** The file work of post-processing (post-process.step.ts): staging slskd's file, and its identity. */

/**
 * slskd's file copied to the working copy through the downloads folder's confinement (opened
 * with O_NOFOLLOW and checked on the descriptor): the tag worker only ever sees our own copy.
 */
export async function stageCopy(root: string, source: string, work: string): Promise<void> {
  const input = await openConfined(root, source);
  // Named like placement's temp files: the start-up sweep removes one a crash left.
  const temp = path.join(
    path.dirname(work),
    `${path.basename(work)}.soulspot-${randomBytes(6).toString('hex')}.part`,
  );
  try {
    const output = await open(temp, 'wx', 0o644);
    try {
      // Chunk by chunk through the descriptors: a stream pipeline over FileHandles that stay
      // open (autoClose off) never settles.
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      for (let position = 0; ;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        await output.write(buffer, 0, bytesRead, position);
        position += bytesRead;
      }
      await output.sync();
    } finally {
      await output.close();
    }
    await rename(temp, work);
    await fsyncDirectory(path.dirname(work));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    await input.close();
  }
}

/** slskd's file as read (device + inode), so only that very file is removed once recorded. */
export async function sourceIdentity(root: string, source: string): Promise<Placement['source']> {
  const handle = await openConfined(root, source);
  try {
    const s = await handle.stat();
    return { dev: s.dev, ino: s.ino };
  } finally {
    await handle.close();
  }
}

export async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false;
}
