import { randomBytes } from 'node:crypto';
import { mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Bytes available to an unprivileged writer on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Whether a file can be created in `dir` right now (permissions, read-only mounts, full disk). */
export async function canWrite(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.soulspot-probe-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'x');
    await unlink(probe);
    return true;
  } catch {
    await unlink(probe).catch(() => undefined);
    return false;
  }
}

export class DiskFullError extends Error {
  readonly code = 'ENOSPC';
  constructor(message: string) {
    super(message);
    this.name = 'DiskFullError';
  }
}

/**
 * Refuses to file a track that would leave less than `minFreeBytes` free: better to stop with a
 * clear disk_full than to fill the disk the library and the database share.
 */
export async function ensureRoom(
  dir: string,
  fileBytes: number,
  minFreeBytes: number,
): Promise<void> {
  const free = await freeBytes(dir);
  if (free - fileBytes < minFreeBytes) {
    const mb = (n: number): string => `${Math.floor(n / 1_048_576)} MB`;
    throw new DiskFullError(
      `only ${mb(free)} free in ${dir}; filing needs ${mb(fileBytes)} plus the ${mb(minFreeBytes)} reserve`,
    );
  }
}
