import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { confinedIfExists, confinedRealPath, OutsideRootError } from '../../library/confine.js';
import { AUDIO_FORMATS } from '../../matching/quality-profile.js';
import { extensionOf } from '../../matching/quality-policy.js';
import { pickReleaseFile } from '../../matching/release-files.js';
import type { TrackTarget } from '../../matching/track-match.js';
import { toLocalPath, type PathMapping } from '../path-mapping.js';
import { ProviderError, type ProviderId } from '../provider.js';

/*
 * The finished file of a Usenet job, as SoulSpot sees it (shared by NZBGet and SABnzbd). The client
 * names a folder (NZBGet's DestDir, SABnzbd's `storage`) or, for a one-file job, the file; its path
 * goes through the remote path mappings and must resolve (symlinks included) inside the downloads
 * root, else `file_not_found` and nothing there is read. In a folder, the wanted track is chosen
 * with pickReleaseFile; without a wanted track, the folder's only audio file.
 */

/** Files looked at in one job folder, and how deep: a release is a folder or two, never more. */
const MAX_ENTRIES = 2_000;
const MAX_DEPTH = 4;

interface Entry {
  path: string;
  size: number;
}

async function listFiles(folder: string): Promise<Entry[]> {
  const out: Entry[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH || out.length >= MAX_ENTRIES) return;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (out.length >= MAX_ENTRIES) return;
      const full = path.join(dir, name);
      // lstat: a symlink is never followed out of the folder (nor counted as a file).
      const info = await lstat(full).catch(() => null);
      if (info === null) continue;
      if (info.isDirectory()) await walk(full, depth + 1);
      else if (info.isFile()) out.push({ path: path.relative(folder, full), size: info.size });
    }
  }
  await walk(folder, 0);
  return out;
}

export interface FinishedFileRequest {
  provider: ProviderId;
  /** The path as the client reported it. */
  remotePath: string;
  mappings: readonly PathMapping[];
  root: string;
  want?: TrackTarget | undefined;
  /** How long the caller has looked (localPath's `waitedMs`). */
  waitedMs?: number | undefined;
}

/**
 * A job folder without the wanted file is "not there yet" this long after the client called the
 * job finished (a move across devices copies file by file), and only then a release without it.
 */
export const SETTLE_MS = 30_000;

const outside = (provider: ProviderId, remote: string): ProviderError =>
  new ProviderError(
    'file_not_found',
    `${provider} named ${remote}, which is outside the downloads folder`,
    undefined,
    provider,
  );

/** The absolute local path of the job's file, or null while it is not there. */
export async function finishedFile(request: FinishedFileRequest): Promise<string | null> {
  const local = toLocalPath(request.remotePath, request.mappings);
  let real: string | null;
  try {
    real = await confinedIfExists(request.root, local);
  } catch (error) {
    if (error instanceof OutsideRootError) throw outside(request.provider, request.remotePath);
    throw error;
  }
  if (real === null) return null;
  const info = await lstat(real);
  if (info.isFile()) return real;
  const entries = await listFiles(real);
  const audio = entries.filter((e) => AUDIO_FORMATS.includes(extensionOf(e.path)));
  let chosen: Entry | null = null;
  if (audio.length === 0) {
    if ((request.waitedMs ?? 0) < SETTLE_MS) return null;
    // No audio at all (a setup.exe, an archive that unpacked to nothing usable): the release is
    // bad itself, not merely another part of the album, so invalid_file (blocked), as prepareNzb.
    throw new ProviderError(
      'invalid_file',
      `${request.provider}'s finished job holds no audio file (${entries.length} files)`,
      undefined,
      request.provider,
    );
  }
  if (request.want !== undefined) {
    chosen = pickReleaseFile(entries, request.want)?.entry ?? null;
  } else if (audio.length === 1) {
    chosen = audio[0]!;
  } else {
    if ((request.waitedMs ?? 0) < SETTLE_MS) return null;
    throw new ProviderError(
      'invalid_file',
      `${request.provider}'s job holds ${audio.length} audio files and no wanted track was given`,
      undefined,
      request.provider,
    );
  }
  if (chosen === null) {
    if ((request.waitedMs ?? 0) < SETTLE_MS) return null;
    // An archived release unpacked with audio but without this track: not damaged, just not this
    // track's (another part of the album, say).
    throw new ProviderError(
      'track_not_in_release',
      `None of the ${audio.length} audio files of ${request.provider}'s finished job is the wanted track`,
      undefined,
      request.provider,
    );
  }
  try {
    return await confinedRealPath(request.root, path.join(real, chosen.path));
  } catch (error) {
    if (error instanceof OutsideRootError) throw outside(request.provider, request.remotePath);
    throw error;
  }
}

/** The local folder of a job, confined (for deleting it on cancel); null when absent or outside. */
export async function confinedJobFolder(
  remotePath: string,
  mappings: readonly PathMapping[],
  root: string,
): Promise<string | null> {
  try {
    return await confinedIfExists(root, toLocalPath(remotePath, mappings));
  } catch {
    return null;
  }
}
