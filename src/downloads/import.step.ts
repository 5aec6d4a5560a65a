import { stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { confinedRealPath, OutsideRootError, unlinkConfined } from '../library/confine.js';
import { ensureRoom } from '../library/disk.js';
import { findIdentical } from '../library/identical.js';
import { placeIntoLibrary, type Placement } from '../library/move.js';
import { libraryRelativePath } from '../library/naming.js';
import { verifyAudioFile } from '../library/verify.js';
import { ProviderError } from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import { LeaseLostError } from '../queue/queue.repository.js';
import { isActive } from './download.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';
import type { ErrorCode } from './error-codes.js';
import { createFilingRepository } from './filing.repository.js';
import { transcodeStep } from './transcode.step.js';
import {
  adoptPostProcessed,
  fileWithPostProcessing,
  folderCoverAfterPlain,
} from './post-process.step.js';

/** How long filing waits for slskd to put the finished file in place (it moves it after `Succeeded`). */
const FILE_WAIT_MS = 60_000;
/**
 * Looks for the file 25, 50, 100… ms apart, then every 500 ms: slskd usually has it in place within
 * milliseconds of `Succeeded`, and a filing slot is held meanwhile.
 */
const FILE_LOOK_INTERVAL_MS = 500;
const FILE_FIRST_LOOK_MS = 25;
/**
 * How the message of a download failed because slskd's finished file is not in its downloads folder
 * (as SoulSpot sees it) begins; the health check "slskd-downloads-folder" recognizes it by this.
 */
export const NOT_IN_DOWNLOADS_FOLDER = 'slskd finished the transfer, but the file is not in';

/**
 * What locating a release's file can say of the release itself (usenet-files.ts): it lacks this
 * track, or holds no usable audio. Either fails the attempt as the source, not the download.
 */
const LOCATE_SOURCE_FAULTS: readonly ErrorCode[] = ['track_not_in_release', 'invalid_file'];

/** Tries at recording a placed file before the download is handed back to be finished later. */
const RECORD_TRIES = 4;
const RECORD_BACKOFF_MS = 200;

/**
 * The file is in the library but the database could not record it (a transient error that outlasted
 * the retries, and handing the download back failed too). The pipeline stops without a retry round:
 * the lease lapses, and the next claim finds the file at the recorded target and adopts it.
 */
export class FiledUnrecordedError extends Error {
  constructor(
    readonly downloadId: string,
    readonly libraryPath: string,
    cause: unknown,
  ) {
    super(`${libraryPath} is filed but not recorded yet: ${String(cause)}`);
    this.name = 'FiledUnrecordedError';
  }
}

/**
 * Verifies the finished file and files it into the library. Returns true when this claim is over
 * (completed, failed, or handed back), false when this source's file was bad (the attempt is marked
 * failed and the caller moves on to the next source). Safe to run again after a crash, a lost
 * database write or a lost lease at any point: the planned target is recorded first, and a file
 * already placed there (or at a " (n)" variant) with the same bytes is adopted, never duplicated.
 * Every read, copy and removal of slskd's file is confined to the downloads folder.
 */
export async function importStep(ctx: JobContext): Promise<boolean> {
  const { repo, config, now } = ctx.deps;
  const attempt = ctx.row.current_attempt_id
    ? await repo.getAttempt(ctx.row.current_attempt_id)
    : undefined;
  if (!attempt) throw new Error(`download ${ctx.row.id} is processing without an attempt`);
  const provider = clientFor(ctx.deps.provider, attempt.provider);

  const root = await provider.downloadsRoot();
  let source: string | null;
  try {
    source = root === null ? null : await locate(ctx, attempt, root);
  } catch (error) {
    if (error instanceof ProviderError && error.code === 'file_not_found') {
      // slskd named a path outside its downloads folder: refused, and not the peer's fault.
      await ctx.fail('file_not_found', error.message);
      return true;
    }
    if (error instanceof ProviderError && LOCATE_SOURCE_FAULTS.includes(error.code)) {
      // The release's finished job holds no file that is this track (an archived NZB checked
      // only once unpacked), or nothing usable at all: the source's fault, like a rejected file.
      // The attempt is failed with that code, so the next candidate goes and later rounds see it.
      return await rejectSource(ctx, attempt, error.code, error.message);
    }
    throw error;
  }
  if (root === null || !source) {
    // Not the peer's fault: most likely SoulSpot cannot see slskd's downloads folder. Failing the
    // download (not the source) keeps the peer off the blocklist and stops a cascade of downloads.
    await ctx.fail(
      'file_not_found',
      `${NOT_IN_DOWNLOADS_FOLDER} ${root ?? "slskd's downloads folder"}: check SOULSPOT_SLSKD_DOWNLOADS_DIR`,
    );
    return true;
  }
  if (source !== attempt.local_path) {
    await ctx.updateAttempt(attempt.id, { local_path: source, updated_at: now() });
  }

  try {
    const adopted = await adoptPostProcessed(ctx, attempt, root, source);
    if (adopted) return await complete(ctx, attempt, root, source, adopted);
    if (attempt.target_path) {
      await confinedRealPath(root, source);
      const placed = await findIdentical(attempt.target_path, source);
      if (placed) {
        const s = await stat(source);
        return await complete(ctx, attempt, root, source, {
          path: placed,
          created: false,
          source: { dev: s.dev, ino: s.ino },
        });
      }
    }

    // Checked again right before reading: the path may have been swapped for a symlink since.
    const check = await verifyAudioFile(await confinedRealPath(root, source), {
      // An indexer release's attempt records the whole release's size (a torrent, an NZB), not
      // the wanted file's the client picked from it; the client checked those bytes itself
      // (torrent piece hashes, yEnc CRCs), and the audio checks below still apply.
      ...(attempt.release ? {} : { size: attempt.size }),
      durationSeconds: ctx.row.duration_seconds,
    });
    if (!check.ok) {
      // slskd's copy is left alone here; the sweep removes it once the download is over.
      return await rejectSource(
        ctx,
        attempt,
        'invalid_file',
        `The downloaded file is not usable: ${check.reason}`,
      );
    }
    const transcode = await transcodeStep(ctx, attempt, root, source, check.format);
    if (transcode.reject)
      return await rejectSource(ctx, attempt, 'invalid_file', transcode.message);

    // The naming patterns are live settings: read now, so a change applies to the next file.
    const segments = libraryRelativePath(
      {
        artist: ctx.row.artist,
        albumArtist: ctx.row.album_artist,
        album: ctx.row.album,
        title: ctx.row.title,
        trackNumber: ctx.row.track_number,
        discNumber: ctx.row.disc_number,
        discTotal: ctx.row.disc_total,
        year: ctx.row.year,
        genre: ctx.row.genre,
        // A release's attempt carries the format its title claimed; the file picked from it is
        // what is filed, so its own extension names it.
        extension: attempt.release
          ? path.extname(source).slice(1)
          : attempt.extension || path.extname(source).slice(1),
      },
      {
        namingPattern: ctx.deps.settings.get('namingPattern'),
        multiDiscNamingPattern: ctx.deps.settings.get('multiDiscNamingPattern'),
      },
    );
    const target = path.join(config.libraryDir, ...segments);
    if (target !== attempt.target_path) {
      await ctx.updateAttempt(attempt.id, { target_path: target, updated_at: now() });
    }
    // The file's own size: an indexer release's attempt records the whole release's.
    const fileSize = attempt.release ? (await stat(source)).size : attempt.size;
    await ensureRoom(config.libraryDir, fileSize, config.minFreeBytes);
    const processed = await fileWithPostProcessing(ctx, attempt, root, source, segments);
    if (processed === null) return true;
    if (processed !== 'plain') return await complete(ctx, attempt, root, source, processed);
    const placement = await placeIntoLibrary(source, config.libraryDir, segments, {
      keepSource: true,
      signal: ctx.signal,
      sourceRoot: root,
      // Fenced: a worker that lost its lease (paused, overtaken, cancelled) places nothing.
      beforePlace: () => ctx.confirmLease(),
      adoptIdentical: true,
    });
    await folderCoverAfterPlain(ctx, attempt, root, source, placement.path);
    return await complete(ctx, attempt, root, source, placement);
  } catch (error) {
    if (error instanceof OutsideRootError) {
      await ctx.fail(
        'file_not_found',
        `slskd's file ${source} now resolves outside the downloads folder ${root}: refused`,
      );
      return true;
    }
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

/**
 * slskd's file for this attempt: the recorded path after a restart, else what the adapter finds,
 * looked for until slskd has moved the file into place (it does so a while after `Succeeded`, and a
 * cross-device move copies). Null when it never shows up.
 */
async function locate(ctx: JobContext, attempt: AttemptRow, root: string): Promise<string | null> {
  const { now } = ctx.deps;
  const provider = clientFor(ctx.deps.provider, attempt.provider);
  if (attempt.local_path) {
    try {
      await confinedRealPath(root, attempt.local_path);
      return attempt.local_path;
    } catch (error) {
      if (error instanceof OutsideRootError) {
        throw new ProviderError(
          'file_not_found',
          `The recorded file ${attempt.local_path} is outside the downloads folder ${root}: refused`,
        );
      }
      // Gone (e.g. removed by hand): look for it again.
    }
  }
  const started = now();
  for (let look = 0; ; look++) {
    const found = await provider.localPath(
      {
        id: attempt.transfer_id ?? '',
        username: attempt.username,
        filename: attempt.filename,
        size: attempt.size,
        state: 'succeeded',
        raw: 'Completed, Succeeded',
        bytesTransferred: attempt.size,
        averageSpeed: 0,
        percentComplete: 100,
      },
      { waitedMs: now() - started },
    );
    if (found) return found;
    if (now() - started >= FILE_WAIT_MS) return null;
    await ctx.sleep(Math.min(FILE_LOOK_INTERVAL_MS, FILE_FIRST_LOOK_MS * 2 ** look));
  }
}

/**
 * Records the placed file (the download is completed), then removes slskd's copy. A transient
 * database error is retried; one that persists hands the download back still `processing`, so the
 * next run adopts this very file instead of starting a fresh download that would end as " (2)".
 */
async function complete(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  placement: Placement,
): Promise<boolean> {
  for (let tries = 1; ; tries++) {
    try {
      await ctx.release(
        {
          library_path: placement.path,
          completed_at: ctx.deps.now(),
          progress: 100,
          error_code: null,
          error_message: null,
          next_retry_at: null,
        },
        'file',
      );
      break;
    } catch (error) {
      if (error instanceof LeaseLostError)
        return settleLostLease(ctx, attempt, root, source, placement);
      ctx.deps.log.warn(
        { id: ctx.row.id, error: String(error), tries },
        'could not record the filed track',
      );
      if (tries >= RECORD_TRIES) return handBack(ctx, placement, error);
      await ctx.sleep(RECORD_BACKOFF_MS * 2 ** (tries - 1));
    }
  }
  await removeSource(ctx, root, source, placement, keepsFilesOf(ctx, attempt));
  if (attempt.transfer_id) ctx.forgetTransfer(attempt, attempt.transfer_id);
  return true;
}

function keepsFilesOf(ctx: JobContext, attempt: AttemptRow): boolean {
  return clientFor(ctx.deps.provider, attempt.provider).keepsFiles === true;
}

/** Still `processing`, due again shortly: the next run finds the file at the target and adopts it. */
async function handBack(ctx: JobContext, placement: Placement, cause: unknown): Promise<boolean> {
  try {
    await ctx.release({ run_after: ctx.deps.now() + ctx.deps.deferMs });
    return true;
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    throw new FiledUnrecordedError(ctx.row.id, placement.path, cause);
  }
}

/**
 * Only now, with the library copy recorded, is the daemon's copy removed (the very file read);
 * never when the client still owns it (`keepsFiles`: a torrent it seeds).
 */
async function removeSource(
  ctx: JobContext,
  root: string,
  source: string,
  placement: Placement,
  keepsFiles = false,
): Promise<void> {
  if (source === placement.path || keepsFiles) return;
  await unlinkConfined(root, source, placement.source).catch((error: unknown) => {
    ctx.deps.log.warn({ id: ctx.row.id, error: String(error) }, "could not remove slskd's copy");
  });
}

/**
 * The file was placed, but the lease was gone when it was to be recorded. Who took it decides:
 * - a cancel, and nothing since: the placed file wins, the download ends completed with it;
 * - another owner now follows this attempt: it adopts the file (same bytes at the target);
 * - anything else (retried afresh, already recorded elsewhere): a file this worker created and no
 *   download records is removed again, so a stale owner leaves no second file behind.
 */
async function settleLostLease(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  placement: Placement,
): Promise<boolean> {
  const { repo, handle, log, now } = ctx.deps;
  const row = await repo.get(ctx.row.id);
  if (row?.status === 'cancelled') {
    const t = now();
    // The completion and its events (download.completed among them) in one transaction.
    const filing = createFilingRepository(handle);
    const done = await ctx.write(
      async (tx) =>
        (await filing.completeAfterCancel(
          ctx.lease,
          attempt.id,
          { library_path: placement.path, completed_at: t, updated_at: t },
          tx,
        )) ?? null,
    );
    if (done) {
      log.info(
        { id: row.id, path: placement.path },
        'cancelled while filing: the filed track wins',
      );
      await removeSource(ctx, root, source, placement, keepsFilesOf(ctx, attempt));
      if (attempt.transfer_id) ctx.forgetTransfer(attempt, attempt.transfer_id);
      return true;
    }
  }
  const recorded = row?.library_path === placement.path;
  const followed =
    row !== undefined && isActive(row.status as never) && row.current_attempt_id === attempt.id;
  if (placement.created && !recorded && !followed) {
    await unlink(placement.path).catch(() => undefined);
  }
  throw new LeaseLostError(ctx.row.id);
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
