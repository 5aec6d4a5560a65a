import { open } from 'node:fs/promises';

/**
 * Makes a directory's entries durable: after a rename or link, a crash could otherwise bring back
 * the old name even though the file's bytes were synced.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Some filesystems cannot fsync a directory (EINVAL, EISDIR); the file itself is synced.
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes(code)) throw error;
  }
}
