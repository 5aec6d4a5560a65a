import { randomBytes } from 'node:crypto';
import { link, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../library/fsync.js';
import {
  CoverError,
  fetchCover,
  findFolderCover,
  type CoverOwnership,
} from '../library/tagging/cover.js';
import type { CoverImage } from '../library/tagging/tags.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';

/**
 * Cover art of post-processing (post-process.step.ts): the image to embed, and the album folder's
 * `cover.jpg`.
 */

/**
 * The cover to embed: the request's `coverUrl`, else an image that came with the download (from
 * this attempt's own source folder: see ownCovers). A URL that fails falls back to that image, and
 * fails the step (CoverError) only without one. Null: nothing was asked for and nothing came
 * along (the step is skipped, not failed).
 */
export async function obtainCover(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  /** False for the folder cover, whose failure is only logged. */
  embedding = true,
): Promise<CoverImage | null> {
  const url = ctx.row.cover_url ?? null;
  if (url) {
    try {
      return await fetchCover(url, {
        policy: { allowedRanges: ctx.deps.settings.get('fetchAllowedRanges') },
        signal: ctx.signal,
      });
    } catch (error) {
      if (!(error instanceof CoverError)) throw error;
      const local = await findFolderCover(root, source, ownCovers(ctx, attempt));
      if (!local) {
        // The URL failed already on this file (cover_failed) and the user retried: failing again
        // would leave the track unfiled for ever, so it is filed without a cover, as the attempt
        // says (its errorMessage in the API).
        if (embedding && attempt.error_code === 'cover_failed') {
          const message = `Filed without a cover: ${error.message} (again, after a retry)`;
          await ctx.updateAttempt(attempt.id, {
            error_message: message,
            updated_at: ctx.deps.now(),
          });
          ctx.deps.log.warn({ id: ctx.row.id, error: error.message }, 'filed without the cover');
          return null;
        }
        throw error;
      }
      ctx.deps.log.warn(
        { id: ctx.row.id, error: error.message },
        'cover URL failed; using the image next to the download',
      );
      return local;
    }
  }
  return findFolderCover(root, source, ownCovers(ctx, attempt));
}

/** The cover is in: a cover_failed an earlier run marked on the attempt no longer holds. */
export async function clearCoverFailure(ctx: JobContext, attempt: AttemptRow): Promise<void> {
  if (attempt.error_code !== 'cover_failed') return;
  await ctx.updateAttempt(attempt.id, {
    error_code: null,
    error_message: null,
    updated_at: ctx.deps.now(),
  });
}

/**
 * Which of the local images next to the download are this attempt's own: slskd downloaded them
 * from the same source (user) and the same remote folder as the attempt's file, and the file at
 * slskd's local path for that transfer still has the size slskd recorded. slskd names its local
 * folder after the peer's last folder only ("CD1", "Album"), so other downloads, from other peers
 * (who choose what they send), share it: neither their images nor an older one of the same name
 * are taken, whatever their timestamps say. One transfer list from the daemon, asked for only
 * when the folder has a cover-named image at all; a daemon that cannot answer owns nothing.
 */
function ownCovers(ctx: JobContext, attempt: AttemptRow): CoverOwnership {
  return async (files) => {
    const { provider } = ctx.deps;
    const folder = remoteFolder(attempt.filename);
    const wanted = new Set(files.map((f) => path.resolve(f)));
    const owned = new Map<string, number>();
    const transfers = await provider.listTransfers().catch(() => []);
    for (const t of transfers) {
      if (t.state !== 'succeeded' || t.username !== attempt.username) continue;
      if (t.filename === attempt.filename || remoteFolder(t.filename) !== folder) continue;
      const local = await provider.localPath(t).catch(() => null);
      if (local !== null && wanted.has(path.resolve(local))) owned.set(path.resolve(local), t.size);
    }
    return owned;
  };
}

/** A remote path's folder, as the source names it (`\\` or `/`), compared as it is. */
function remoteFolder(remote: string): string {
  return remote.slice(0, Math.max(remote.lastIndexOf('\\'), remote.lastIndexOf('/'), 0));
}

/**
 * `cover.jpg` (or `cover.png`) in the album folder, best effort: the track is filed already, so a
 * failure here is logged, not a failed download. Never replaces an image the folder has.
 */
export async function folderCover(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  directory: string,
  known: CoverImage | null | undefined,
): Promise<void> {
  // Only an album folder gets one; a loose track's folder is the artist's.
  if (!ctx.row.album) return;
  try {
    const names = await readdir(directory);
    if (names.some((n) => /^(cover|folder)\.(jpe?g|png)$/i.test(n))) return;
    const cover = known ?? (await obtainCover(ctx, attempt, root, source, false).catch(() => null));
    if (!cover) return;
    await writeNewFile(directory, cover.mime === 'image/png' ? 'cover.png' : 'cover.jpg', cover);
  } catch (error) {
    ctx.deps.log.warn({ id: ctx.row.id, error: String(error) }, 'could not write the folder cover');
  }
}

/** Writes a complete file under `name` only if nothing has that name (temp → fsync → link). */
async function writeNewFile(directory: string, name: string, cover: CoverImage): Promise<void> {
  const temp = path.join(directory, `.${name}.soulspot-${randomBytes(6).toString('hex')}.part`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(cover.data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path.join(directory, name));
    await fsyncDirectory(directory);
  } catch (error) {
    // Another track of the album wrote it first: theirs stays.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
