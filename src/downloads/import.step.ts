import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureRoom } from '../library/disk.js';
import { moveIntoLibrary } from '../library/move.js';
import { libraryRelativePath, withCollisionSuffix } from '../library/naming.js';
import { verifyAudioFile } from '../library/verify.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';
import type { ErrorCode } from './error-codes.js';

const FILE_LOOKS = 10;
const FILE_LOOK_INTERVAL_MS = 500;

/**
 * Verifies the finished file and files it into the library. Returns true when the download is
 * completed, false when this source's file was bad (the attempt is marked failed and the caller
 * moves on to the next source). Safe to run again after a crash at any point: the planned target is
 * recorded first, and a file already placed there with the same bytes is adopted, never duplicated.
 */
export async function importStep(ctx: JobContext): Promise<boolean> {
  const { repo, provider, config, now } = ctx.deps;
  const attempt = ctx.row.current_attempt_id
    ? await repo.getAttempt(ctx.row.current_attempt_id)
    : undefined;
  if (!attempt) throw new Error(`download ${ctx.row.id} is processing without an attempt`);

  let source = attempt.local_path;
  // slskd reports success a moment before it has moved the file into place: look a few times.
  for (let look = 0; (!source || !(await exists(source))) && look < FILE_LOOKS; look++) {
    if (look > 0) await ctx.sleep(FILE_LOOK_INTERVAL_MS);
    source = await provider.localPath({
      id: attempt.transfer_id ?? '',
      username: attempt.username,
      filename: attempt.filename,
      size: attempt.size,
      state: 'succeeded',
      raw: 'Completed, Succeeded',
      bytesTransferred: attempt.size,
      averageSpeed: 0,
      percentComplete: 100,
    });
  }
  if (source && source !== attempt.local_path) {
    await ctx.updateAttempt(attempt.id, { local_path: source, updated_at: now() });
  }

  if (attempt.target_path && source) {
    const placed = await findIdentical(attempt.target_path, source);
    if (placed) return complete(ctx, attempt, placed, source);
  }
  if (!source) {
    // Not the peer's fault: most likely SoulSpot cannot see slskd's downloads folder. Failing the
    // download (not the source) keeps the peer off the blocklist and stops a cascade of downloads.
    await ctx.fail(
      'file_not_found',
      `slskd finished the transfer, but the file is not in ${config.slskdDownloadsDir ?? "slskd's downloads folder"}: check SOULSPOT_SLSKD_DOWNLOADS_DIR`,
    );
    return true;
  }

  const check = await verifyAudioFile(source, {
    size: attempt.size,
    durationSeconds: ctx.row.duration_seconds,
  });
  if (!check.ok) {
    // slskd's copy is left alone: its path may be a guess, and deleting a guess could hit another file.
    return rejectSource(
      ctx,
      attempt,
      'invalid_file',
      `The downloaded file is not usable: ${check.reason}`,
    );
  }

  const segments = libraryRelativePath({
    artist: ctx.row.artist,
    albumArtist: ctx.row.album_artist,
    album: ctx.row.album,
    title: ctx.row.title,
    trackNumber: ctx.row.track_number,
    discNumber: ctx.row.disc_number,
    extension: attempt.extension || path.extname(source).slice(1),
  });
  await ctx.updateAttempt(attempt.id, {
    target_path: path.join(config.libraryDir, ...segments),
    updated_at: now(),
  });
  try {
    await ensureRoom(config.libraryDir, attempt.size, config.minFreeBytes);
    const placed = await moveIntoLibrary(source, config.libraryDir, segments, { keepSource: true });
    return await complete(ctx, attempt, placed, source);
  } catch (error) {
    // A local fault: the downloaded file stays where slskd put it, and the disk watcher sends the
    // download back to filing once the library can take it (see library/disk-watcher.ts).
    const code = (error as NodeJS.ErrnoException).code;
    const message = (error as Error).message;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      await ctx.fail('disk_full', `The library disk is full: ${message}`);
      return true;
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      await ctx.fail('permission_denied', `Cannot write to the library: ${message}`);
      return true;
    }
    throw error;
  }
}

async function complete(
  ctx: JobContext,
  attempt: AttemptRow,
  placed: string,
  source: string,
): Promise<boolean> {
  await ctx.release(
    {
      library_path: placed,
      completed_at: ctx.deps.now(),
      progress: 100,
      error_code: null,
      error_message: null,
      next_retry_at: null,
    },
    'file',
  );
  // Only now, with the library copy recorded, is the daemon's copy removed.
  if (source !== placed) await unlink(source).catch(() => undefined);
  if (attempt.transfer_id) ctx.forgetTransfer(attempt.username, attempt.transfer_id);
  return true;
}

async function rejectSource(
  ctx: JobContext,
  attempt: AttemptRow,
  code: ErrorCode,
  message: string,
): Promise<boolean> {
  await ctx.finishAttempt(attempt, { state: 'failed', code, message });
  return false;
}

/** The planned target or one of its " (n)" variants holding exactly the source's bytes. */
async function findIdentical(planned: string, source: string): Promise<string | null> {
  const sourceStat = await stat(source).catch(() => null);
  // Without the source there is nothing to compare with; a file at the target may be another track's.
  if (!sourceStat) return null;
  const dir = path.dirname(planned);
  const base = path.basename(planned);
  let sourceHash: string | null = null;
  for (let n = 1; n <= 50; n++) {
    const candidate = path.join(dir, n === 1 ? base : withCollisionSuffix(base, n));
    const s = await stat(candidate).catch(() => null);
    if (!s) continue;
    if (s.size !== sourceStat.size) continue;
    sourceHash ??= await sha256(source);
    if ((await sha256(candidate)) === sourceHash) return candidate;
  }
  return null;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
