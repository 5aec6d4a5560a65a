import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { confinedRealPath } from '../library/confine.js';
import { findByDigest, sha256 } from '../library/identical.js';
import { placeStaged, prepareLibraryFolder, type Placement } from '../library/move.js';
import { truncateUtf8 } from '../library/sanitize.js';
import { CoverError } from '../library/tagging/cover.js';
import { TaggingError, TagWorkerError } from '../library/tagging/tagger.js';
import { isTaggable, NO_TAGS, type CoverImage, type TrackTags } from '../library/tagging/tags.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';
import { clearCoverFailure, folderCover, obtainCover } from './post-process.cover.js';
import { isFile, sourceIdentity, stageTemp } from './post-process.files.js';
import { failTagging, writeTags } from './post-process.tag.js';

/**
 * Post-processing of a verified file, between verification and the library (import.step.ts):
 *
 *   tag → embed cover → place (rename into its final name) → folder cover.jpg
 *
 * When both tag and cover are due, they are one pass of the tag worker (recorded as 'covered');
 * the steps run apart when only one is switched on or due (a resumed run), or the one pass was
 * refused (then they say which of the two it was).
 *
 * Each step works on a working copy next to its final name (`.<name>.soulspot-work-<attempt>`),
 * written by the tag worker as temp copy → tag → fsync → read back → rename, so slskd's file is
 * never modified and the working copy is always whole. The first step's temp copy is staged from
 * slskd's file (stageTemp), the later ones' from the working copy. The step reached is recorded on the attempt
 * (`post_step`), so a crash or a retry resumes with the next step on the working copy; without it
 * (removed, or never made) the steps start over from slskd's file. Before placing, the working
 * copy's SHA-256 is recorded (`post_digest`): a crash after the rename finds the placed file by it.
 *
 * A step that fails leaves slskd's file (and the working copy) in place and fails the download with
 * `tagging_failed` or `cover_failed`; POST /api/downloads/{id}/retry resumes from that step.
 */

export interface PostSteps {
  tag: boolean;
  cover: boolean;
  folderCover: boolean;
}

/** The steps the live settings switch on for this file; null when filing is a plain copy. */
export function postSteps(ctx: JobContext, extension: string): PostSteps | null {
  const { tagger, settings } = ctx.deps;
  if (!tagger || !isTaggable(extension)) return null;
  const steps = {
    tag: settings.get('tagFiles'),
    cover: settings.get('embedCover'),
    folderCover: settings.get('writeFolderCover'),
  };
  return steps.tag || steps.cover || steps.folderCover ? steps : null;
}

/** What the request says about the track, as the tag writer takes it. */
export function tagsOf(row: DownloadRow): TrackTags {
  return {
    title: row.title,
    artist: row.artist,
    album: row.album,
    albumArtist: row.album_artist,
    trackNumber: row.track_number,
    trackTotal: row.track_total ?? null,
    discNumber: row.disc_number,
    discTotal: row.disc_total ?? null,
    // A year 0 stored before the API refused it: no format keeps it, so it is not written.
    year: row.year !== null && row.year > 0 ? row.year : null,
    genre: row.genre,
    isrc: row.isrc ?? null,
    musicbrainzRecordingId: row.musicbrainz_recording_id ?? null,
    musicbrainzReleaseId: row.musicbrainz_release_id ?? null,
    musicbrainzArtistId: row.musicbrainz_artist_id ?? null,
    musicbrainzReleaseGroupId: row.musicbrainz_release_group_id ?? null,
  };
}

/** The working copy's name: hidden, and the attempt's own, so a resumed run finds it again. */
export function workFileName(fileName: string, attemptId: string): string {
  const ext = path.extname(fileName);
  // Bytes, not characters: the name must stay under 255 bytes with a temp suffix added to it.
  const stem = truncateUtf8(fileName.slice(0, fileName.length - ext.length), 180);
  return `.${stem}.soulspot-work-${attemptId.slice(0, 8)}${ext}`;
}

/**
 * Runs the switched-on steps and places the result. Returns the placement; null when a step
 * failed and the download was failed with its code (the claim is over); 'plain' when no step
 * changed the file (tags off, no cover to embed), so the caller files slskd's copy as it is.
 */
export async function postProcessAndPlace(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  segments: string[],
  steps: PostSteps,
): Promise<Placement | 'plain' | null> {
  const { config, tagger, now, log } = ctx.deps;
  if (!tagger) return 'plain';
  const directory = await prepareLibraryFolder(config.libraryDir, segments);
  const fileName = segments[segments.length - 1] as string;
  const work = path.join(directory, workFileName(fileName, attempt.id));
  const tags = tagsOf(ctx.row);
  // A recorded step counts only while its working copy is there.
  let reached = (await isFile(work)) ? attempt.post_step : null;
  const record = async (step: string, digest: string | null = null): Promise<void> => {
    await ctx.updateAttempt(attempt.id, {
      post_step: step,
      post_digest: digest,
      updated_at: now(),
    });
    reached = step;
  };

  // The cover is looked for first: when both steps are due, tags and cover then go into the
  // working copy in one pass of the tag worker (one copy, one write, one fsync, one read-back)
  // instead of two. A cover that cannot be had fails its own step below, after the tags.
  const coverDue = steps.cover && reached !== 'covered';
  let cover: CoverImage | null = null;
  let coverError: CoverError | null = null;
  if (coverDue) {
    try {
      cover = await obtainCover(ctx, attempt, root, source);
    } catch (error) {
      if (!(error instanceof CoverError)) throw error;
      coverError = error;
    }
  }

  // Step 1, tags (and the cover, when there is one): slskd's file is copied (confined) to the
  // working copy, which is then tagged. Recorded as 'covered' when the cover went in too.
  if (steps.tag && reached === null) {
    const both = cover !== null;
    // Staged: slskd's file copied (confined) to a temp file that the worker tags in place and,
    // once read back, renames to the working copy; no second copy of the audio.
    const tagsOnly = async () =>
      ({
        kind: 'tags',
        source: await stageTemp(root, source, work),
        target: work,
        tags,
        staged: true,
      }) as const;
    const outcome = await writeTags(
      ctx,
      work,
      cover
        ? {
            kind: 'tags+cover',
            source: await stageTemp(root, source, work),
            target: work,
            tags,
            cover,
            staged: true,
          }
        : await tagsOnly(),
    );
    if (outcome === 'over') return null;
    if (outcome !== 'done' && !both) return failTagging(ctx, work, outcome);
    if (outcome !== 'done') {
      // The one pass was refused: the tags alone say whether it was them or the cover (whose
      // own step then fails with its reason, as when the steps ran apart).
      const alone = await writeTags(ctx, work, await tagsOnly());
      if (alone !== 'done') return alone === 'over' ? null : failTagging(ctx, work, alone);
      await record('tagged');
    } else {
      await record(both ? 'covered' : 'tagged');
      if (both) await clearCoverFailure(ctx, attempt);
    }
  }

  // Step 2, the cover alone: tags off, tagged by an earlier run, or the one pass refused.
  if (coverDue && reached !== 'covered') {
    try {
      if (coverError) throw coverError;
      if (cover) {
        // Nothing written yet (tags off): staged as step 1 stages; else the tagged working copy.
        const fresh = reached === null;
        const from = fresh ? await stageTemp(root, source, work) : work;
        await tagger
          .write({
            kind: 'cover',
            source: from,
            target: work,
            tags: steps.tag ? tags : NO_TAGS,
            cover,
            staged: fresh,
          })
          .catch(async (error: unknown) => {
            // As in writeTags: a staged copy lost before the worker started it is ours to remove.
            if (fresh) await unlink(from).catch(() => undefined);
            throw error;
          });
        await record('covered');
        await clearCoverFailure(ctx, attempt);
      }
    } catch (error) {
      if (error instanceof TagWorkerError) {
        await ctx.resumeLater(
          'cover_failed',
          `Embedding the cover was interrupted: ${error.message}`,
        );
        return null;
      }
      if (!(error instanceof CoverError) && !(error instanceof TaggingError)) throw error;
      const message = `Cover art failed: ${error.message}`;
      // Marked on the attempt (which stays succeeded): a retry that meets the same dead URL and
      // no local image files the track without a cover instead of failing again (obtainCover).
      if (error instanceof CoverError)
        await ctx.updateAttempt(attempt.id, {
          error_code: 'cover_failed',
          error_message: message,
          updated_at: now(),
        });
      await ctx.fail('cover_failed', message);
      return null;
    }
  }

  if (reached === null) {
    // Nothing written (tags off, no cover found): slskd's bytes go in as they are. A working copy
    // an earlier run left (other settings then) is removed.
    // The folder cover comes after the track is placed (folderCoverAfterPlain), as on the other
    // path: a placement that fails must not leave an album folder holding only a cover.
    await unlink(work).catch(() => undefined);
    return 'plain';
  }

  const digest = await sha256(work);
  await record(reached, digest);
  const identity = await sourceIdentity(root, source);
  const placed = await placeStaged(work, directory, fileName, {
    signal: ctx.signal,
    // Fenced: a worker that lost its lease places nothing.
    beforePlace: () => ctx.confirmLease(),
    adoptIdentical: true,
  });
  if (steps.folderCover) await folderCover(ctx, attempt, root, source, directory, cover);
  log.debug({ id: ctx.row.id, path: placed.path, steps: reached }, 'post-processed');
  return { ...placed, source: identity };
}

/**
 * A post-processed file placed before a crash or a lost write, found by the digest recorded just
 * before its placement; null when there is none (then filing carries on as usual).
 */
export async function adoptPostProcessed(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
): Promise<Placement | null> {
  if (!attempt.post_digest || !attempt.target_path) return null;
  await confinedRealPath(root, source);
  const placed = await findByDigest(attempt.target_path, attempt.post_digest);
  if (!placed) return null;
  ctx.deps.log.info({ id: ctx.row.id, path: placed }, 'adopting the post-processed file');
  return { path: placed, created: false, source: await sourceIdentity(root, source) };
}

/**
 * The folder cover for a track filed as slskd's plain copy (fileWithPostProcessing said 'plain'),
 * once it is placed at `placed`.
 */
export async function folderCoverAfterPlain(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  placed: string,
): Promise<void> {
  const steps = postSteps(ctx, path.extname(placed).slice(1));
  if (steps?.folderCover) await folderCover(ctx, attempt, root, source, path.dirname(placed), null);
}

/**
 * Filing with the switched-on post-processing steps (see the top of this file): the placement,
 * null when a step failed the download, 'plain' when slskd's copy is to be filed as it is.
 */
export async function fileWithPostProcessing(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  segments: string[],
): Promise<Placement | 'plain' | null> {
  const fileName = segments[segments.length - 1] as string;
  const steps = postSteps(ctx, path.extname(fileName).slice(1));
  if (!steps) return 'plain';
  return postProcessAndPlace(ctx, attempt, root, source, segments, steps);
}
