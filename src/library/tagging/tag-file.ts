import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parseBuffer, parseFile, type IAudioMetadata } from 'music-metadata';
import {
  ByteVector,
  File,
  Id3v2Settings,
  MpegAudioFileSettings,
  Picture,
  PictureType,
  ReadStyle,
  TagTypes,
  type Tag,
} from 'node-taglib-sharp';
import { fsyncDirectory } from '../fsync.js';
import { installFastConcatenate } from './byte-vector-concat.js';
import { MemoryFile } from './memory-file.js';
import { IN_MEMORY_MAX_BYTES, TaggingError, tempFileFor, type TagJob } from './tag-job.js';
import { tagMismatches, type TrackTags } from './tags.js';

/**
 * The tag writer proper: node-taglib-sharp writes, music-metadata reads back. node-taglib-sharp is
 * synchronous (whole-file reads and writes on the calling thread), so this module runs in the tag
 * worker (tag.worker.ts), never on the server's event loop.
 */

// ID3v2.4 only: UTF-8 text frames and TDRC; a peer's v2.3 tag is rewritten as v2.4.
Id3v2Settings.defaultVersion = 4;
Id3v2Settings.forceDefaultVersion = true;
// Without this an MP3 gets a fresh ID3v1 tag at its end whenever its tag is touched.
MpegAudioFileSettings.defaultTagTypes = TagTypes.Id3v2;
installFastConcatenate();

export { TaggingError, tempFileFor, type TagJob } from './tag-job.js';

/**
 * Writes `target` as a tagged copy of `source`: the tagged bytes go to a hidden temp file next to
 * the target, which is fsynced, read back (tags, cover, and the SHA-256 of the bytes read), then
 * renamed over the target. A crash at any point leaves `source` as it was and either the old
 * target or the new one, never a half-written file under the target's name. Resolves to the
 * SHA-256 of the file as read back.
 *
 * A file up to IN_MEMORY_MAX_BYTES (or one whose bytes came with the job) is tagged in memory and
 * written once; a larger one is copied to the temp file (unless staged there already) and tagged
 * in place on disk.
 */
export async function writeTaggedCopy(job: TagJob, temp = tempFileFor(job)): Promise<string> {
  try {
    const extension = path.extname(job.target);
    if (job.data || (!job.staged && (await stat(job.source)).size <= IN_MEMORY_MAX_BYTES)) {
      const bytes = tagInMemory(job.data ?? (await readFile(job.source)), extension, job);
      await writeSynced(temp, bytes, job.staged === true);
    } else {
      if (!job.staged) await copyFile(job.source, temp);
      applyTags(File.createFromPath(temp, mimeFor(extension), ReadStyle.None), job);
      await fsyncFile(temp);
    }
    const { problems, digest } = await readBack(temp, job);
    if (problems.length > 0)
      throw new TaggingError(`tags did not read back as written: ${problems.join('; ')}`);
    const replacing = await lstat(job.target).then(
      () => true,
      () => false,
    );
    await rename(temp, job.target);
    // The caller records the step as done once this resolves. A rename over an earlier working
    // copy must survive a crash, or the step recorded would describe the old bytes. A rename to a
    // new name needs no fsync of its own: lost in a crash, it leaves no working copy, and a step
    // counts only while its working copy is there (post-process.step.ts), so the steps start over
    // from slskd's file, which stays until the placement (which fsyncs this same folder) is done.
    if (replacing) await fsyncDirectory(path.dirname(job.target));
    return digest;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof TaggingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // I/O errors keep their code (ENOSPC, EACCES…) so the caller can classify them.
    if (code) throw error;
    throw new TaggingError(`cannot tag ${job.target}: ${(error as Error).message}`);
  }
}

/** node-taglib-sharp picks the format by extension ("taglib/<ext>"); the temp name has none. */
function mimeFor(extension: string): string {
  return `taglib/${extension.slice(1).toLowerCase()}`;
}

/** The tagged file's bytes, made from `original` in memory (which is left as it is). */
function tagInMemory(original: Uint8Array, extension: string, job: TagJob): Uint8Array {
  // A private copy with room for the tags and the cover: the job's bytes may be shared with the
  // server (a SharedArrayBuffer it keeps to resend the job), and growing in place copies once.
  const room = 64 * 1024 + (job.kind === 'tags' ? 0 : job.cover.data.length);
  const copy = new Uint8Array(original.length + room);
  copy.set(original);
  const memory = new MemoryFile(job.target, copy, original.length);
  // ReadStyle.None: the audio properties (duration, bitrate) are not needed to write tags.
  applyTags(File.createFromAbstraction(memory, mimeFor(extension), ReadStyle.None), job);
  return memory.bytes();
}

/** A new file (or the staged temp file, replaced) holding `bytes`, fsynced before it is closed. */
async function writeSynced(file: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
  const handle = await open(file, overwrite ? 'w' : 'wx', 0o644);
  try {
    for (let written = 0; written < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, written);
      written += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes the job's tags and cover into `f` and saves it. */
function applyTags(f: File, job: TagJob): void {
  try {
    if (f.mimeType === 'taglib/mp3') {
      // One ID3v2.4 tag: ID3v1 cannot hold UTF-8 nor most of these fields, and an APE tag in an
      // MP3 would shadow ours in some players.
      f.removeTags(TagTypes.Id3v1 | TagTypes.Ape);
      f.getTag(TagTypes.Id3v2, true);
    }
    const tag = f.tag;
    if (job.kind !== 'cover') setText(tag, job.tags);
    if (job.kind !== 'tags')
      tag.pictures = [
        Picture.fromFullData(
          ByteVector.fromByteArray(job.cover.data),
          PictureType.FrontCover,
          job.cover.mime,
          'Cover',
        ),
      ];
    f.save();
  } finally {
    f.dispose();
  }
}

function setText(tag: Tag, t: TrackTags): void {
  if (t.title !== null) tag.title = t.title;
  if (t.artist !== null) tag.performers = [t.artist];
  if (t.album !== null) tag.album = t.album;
  if (t.albumArtist !== null) tag.albumArtists = [t.albumArtist];
  if (t.trackNumber !== null) tag.track = t.trackNumber;
  if (t.trackTotal !== null) tag.trackCount = t.trackTotal;
  if (t.discNumber !== null) tag.disc = t.discNumber;
  if (t.discTotal !== null) tag.discCount = t.discTotal;
  if (t.year !== null) tag.year = t.year;
  if (t.genre !== null) tag.genres = [t.genre];
  if (t.isrc !== null) tag.isrc = t.isrc;
  if (t.musicbrainzRecordingId !== null) tag.musicBrainzTrackId = t.musicbrainzRecordingId;
  if (t.musicbrainzReleaseId !== null) tag.musicBrainzReleaseId = t.musicbrainzReleaseId;
  if (t.musicbrainzArtistId !== null) tag.musicBrainzArtistId = t.musicbrainzArtistId;
  if (t.musicbrainzReleaseGroupId !== null)
    tag.musicBrainzReleaseGroupId = t.musicbrainzReleaseGroupId;
}

/**
 * The written file read back from disk: what did not come back as written, and the SHA-256 of the
 * bytes read (the digest post-processing records before placing, so that it need not read the
 * file once more). One read of the whole file, parsed from memory, up to IN_MEMORY_MAX_BYTES.
 */
async function readBack(
  file: string,
  job: TagJob,
): Promise<{ problems: string[]; digest: string }> {
  const cover = job.kind === 'tags' ? null : job.cover;
  const options = { duration: false, skipCovers: cover === null };
  let meta: IAudioMetadata;
  let digest: string;
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size <= IN_MEMORY_MAX_BYTES) {
      const bytes = Buffer.allocUnsafe(size);
      for (let at = 0; at < size;) {
        const { bytesRead } = await handle.read(bytes, at, size - at, at);
        if (bytesRead === 0) throw new TaggingError(`${job.target} shrank while read back`);
        at += bytesRead;
      }
      digest = createHash('sha256').update(bytes).digest('hex');
      // No name given: the format is told from the content, as parseFile does for the temp name.
      meta = await parseBuffer(bytes, { size }, options);
    } else {
      digest = await hashFile(file);
      meta = await parseFile(file, options);
    }
  } finally {
    await handle.close();
  }
  // The cover step re-checks the text tags too: rewriting the file must not have lost them.
  return { problems: tagMismatches(job.tags, meta.common, cover), digest };
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
