import { randomBytes } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { openConfined } from '../library/confine.js';
import type { Placement } from '../library/move.js';
import { IN_MEMORY_MAX_BYTES } from '../library/tagging/tag-job.js';

/** The file work of post-processing (post-process.step.ts): staging slskd's file, and its identity. */

/**
 * slskd's file copied through the downloads folder's confinement (opened with O_NOFOLLOW and
 * checked on the descriptor) to a hidden temp file beside the working copy: the tag worker only
 * ever sees our own copy. Not fsynced: the worker tags it in place, fsyncs and reads it back
 * before it renames it to `work`, and a crash before that leaves only a temp file (named like
 * placement's, so the start-up sweep removes it) and no working copy, so the steps start over.
 */
export async function stageTemp(root: string, source: string, work: string): Promise<string> {
  const input = await openConfined(root, source);
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
    } finally {
      await output.close();
    }
    return temp;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    await input.close();
  }
}

/**
 * slskd's file read through the downloads folder's confinement (as stageTemp opens it), whole,
 * onto a SharedArrayBuffer: the tag worker gets these bytes without a copy, and no staged copy is
 * written to disk. `data` is null for a file over IN_MEMORY_MAX_BYTES (staged instead). The
 * identity is of the very file read, so that only it is removed once filed.
 */
export async function readSource(
  root: string,
  source: string,
): Promise<{ data: Uint8Array | null; identity: Placement['source'] }> {
  const handle = await openConfined(root, source);
  try {
    const s = await handle.stat();
    const identity = { dev: s.dev, ino: s.ino };
    if (s.size > IN_MEMORY_MAX_BYTES) return { data: null, identity };
    const data = new Uint8Array(new SharedArrayBuffer(s.size));
    let at = 0;
    while (at < s.size) {
      const { bytesRead } = await handle.read(data, at, s.size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank while read (slskd rewriting it) is tagged as far as it was read; the
    // read-back then judges it like any other.
    return { data: at === s.size ? data : data.subarray(0, at), identity };
  } finally {
    await handle.close();
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
