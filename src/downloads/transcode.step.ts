import type { Updateable } from 'kysely';
import type { AttemptsTable } from '../db/schema.js';
import { confinedRealPath } from '../library/confine.js';
import { isLosslessFile, type TranscodeCheckResult } from '../library/transcode-check.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';

/**
 * The fake-lossless step of filing (issue 8 part 5), between verification and naming: a lossless
 * file is checked (library/transcode-check.ts), the result is recorded on the attempt (and on the
 * download when the file is kept), and a suspect file is rejected or kept as the setting
 * `transcodeAction` says. A file ffmpeg cannot decode in full (damaged past what verification's
 * header checks see) is rejected whatever the setting. Runs again from the start after a crash:
 * checking is read-only and the writes set the same values.
 */

export type TranscodeOutcome = { reject: false } | { reject: true; message: string };

const KEEP: TranscodeOutcome = { reject: false };

type Columns = Pick<
  Updateable<AttemptsTable>,
  'transcode_check' | 'suspect_transcode' | 'transcode_cutoff_hz'
>;

const UNCHECKED: Columns = {
  transcode_check: null,
  suspect_transcode: null,
  transcode_cutoff_hz: null,
};

/**
 * Checks slskd's file `source` under `root` (already verified as the audio it claims to be) when it is lossless. Resolves
 * `reject` with the message for the source's `invalid_file` when the file is a suspected transcode
 * and the setting is `reject`; everything else keeps the file.
 */
export async function transcodeStep(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  format: string | null,
): Promise<TranscodeOutcome> {
  const checker = ctx.deps.transcode;
  // Not wired (a pipeline built in isolation): nothing checked, nothing recorded as checked.
  if (!checker) return KEEP;
  if (!isLosslessFile(attempt.extension, format)) {
    // A lossy file has nothing to prove; clear what an earlier source's file left on the download.
    if (ctx.row.transcode_check != null) await ctx.save(UNCHECKED);
    return KEEP;
  }

  // Resolved again right before reading, as verification does: the path may be a symlink by now.
  const result = await checker.check(await confinedRealPath(root, source));
  const facts = { id: ctx.row.id, user: attempt.username, file: attempt.filename };
  if (result.status === 'invalid') {
    // Not a verdict on the spectrum: nothing is recorded as checked; the attempt's error says why.
    ctx.deps.log.warn({ ...facts, reason: result.reason }, 'file does not decode');
    return { reject: true, message: `The downloaded file does not decode: ${result.reason}` };
  }
  const columns = columnsOf(result);
  const suspect = columns.suspect_transcode === 1;
  const reject = suspect && ctx.deps.settings.get('transcodeAction') === 'reject';
  if (result.status === 'skipped') {
    ctx.deps.log.warn({ ...facts, reason: result.reason }, 'transcode check skipped');
  } else if (suspect) {
    ctx.deps.log.warn(
      { ...facts, reason: result.reason, action: reject ? 'reject' : 'warn' },
      'suspected transcode',
    );
  }

  // One transaction: the attempt always (the candidates list shows it), the download only when this
  // file is the one filed, so the download's fields always describe its library file.
  const { repo, queue, now } = ctx.deps;
  const t = now();
  await ctx.write(
    async (tx) => {
      await repo.updateAttempt(ctx.lease, attempt.id, { ...columns, updated_at: t }, tx);
      if (reject) return ctx.row;
      return queue.fencedUpdate(ctx.lease, { ...columns, updated_at: t }, tx);
    },
    { attemptsChanged: true },
  );
  if (!reject || result.status !== 'checked') return KEEP;
  return {
    reject: true,
    message:
      result.cutoffHz !== undefined
        ? `suspected transcode, spectrum stops at ${result.cutoffHz} Hz: ${result.reason}`
        : `suspected transcode: ${result.reason}`,
  };
}

function columnsOf(result: Exclude<TranscodeCheckResult, { status: 'invalid' }>): Columns {
  if (result.status === 'skipped') return { ...UNCHECKED, transcode_check: 'skipped' };
  return {
    transcode_check: result.verdict,
    suspect_transcode: result.verdict === 'suspect' ? 1 : 0,
    transcode_cutoff_hz: result.cutoffHz ?? null,
  };
}
