import { stat } from 'node:fs/promises';
import path from 'node:path';
import { confinedIfExists, OutsideRootError } from '../../library/confine.js';
import { ProviderError, type TransferStatus } from '../provider.js';
import { check, DownloadFileCompleteSchema, type SlskdApi } from './slskd.api.js';
import { remoteBasename, remoteParentFolder } from './slskd.mapping.js';
import type { SlskdSettings } from './slskd.settings.js';

/**
 * Where slskd put a finished file, as SoulSpot sees it. Two sources, both untrusted:
 * - the `/events` log: the newest `DownloadFileComplete` for this transfer carries `localFilename`
 *   (the final name after any `_<ticks>` rename). slskd raises it only after the move, so a file
 *   named there is complete;
 * - the directory rule `<downloads>/<remote parent folder>/<name>`, with the remote names sanitized
 *   the way slskd does. A file there may still be growing (a cross-device move copies), or be an
 *   older download of the same name, so it counts only when its size is the transfer's and stays so.
 * Either way the path must resolve (symlinks included) strictly inside the downloads folder:
 * anything else is refused as `file_not_found`, and SoulSpot never reads it.
 */

/** Events read per `/events` page, and how many pages are looked through. */
const EVENTS_PAGE_SIZE = 100;
const EVENTS_MAX_PAGES = 10;
/**
 * While slskd's event log answers, the directory rule is used only after this long without the
 * event: until then the file at the rule's path may be an older download of the same remote name.
 */
export const EVENT_GRACE_MS = 10_000;
/** A file found by the directory rule must keep its size this long (a cross-device move copies). */
const STABLE_MS = 250;

export interface LocateOptions {
  /**
   * How long the caller has been waiting for this file. Below EVENT_GRACE_MS only slskd's event
   * counts while its log is readable; default: as long as it takes (answer now, rule included).
   */
  waitedMs?: number;
}

/** One path segment the way slskd writes it: invalid characters become `_`, never `..` or `/`. */
export function slskdSegment(name: string): string {
  // eslint-disable-next-line no-control-regex -- NUL and control characters are what is replaced
  const cleaned = name.replace(/[\u0000-\u001f/\\]/g, '_');
  return cleaned === '' || /^\.+$/.test(cleaned) ? '_' : cleaned;
}

/** `<root>/<remote parent folder>/<name>` with both remote parts sanitized. */
export function directoryRulePath(root: string, remoteFilename: string): string {
  const folder = remoteParentFolder(remoteFilename);
  return path.join(
    root,
    ...(folder === null ? [] : [slskdSegment(folder)]),
    slskdSegment(remoteBasename(remoteFilename)),
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function outside(reported: string, root: string, cause: OutsideRootError): ProviderError {
  return new ProviderError(
    'file_not_found',
    `slskd reported the finished file at ${reported}, which is outside the downloads folder ` +
      `${root}${cause.resolved !== null && cause.resolved !== reported ? ` (it resolves to ${cause.resolved})` : ''}: ` +
      'SoulSpot does not read files outside SOULSPOT_SLSKD_DOWNLOADS_DIR',
  );
}

export function createSlskdFiles(deps: {
  api: SlskdApi;
  settings: SlskdSettings;
  /** slskd's own `directories.downloads` (its view, maybe inside a container); cached by the caller. */
  slskdDownloads: () => Promise<string | null>;
}) {
  const { api, settings } = deps;

  /** The confinement root: SOULSPOT_SLSKD_DOWNLOADS_DIR, else slskd's own downloads folder. */
  async function downloadsRoot(): Promise<string | null> {
    return settings.downloadsDir ?? (await deps.slskdDownloads());
  }

  /** Maps an event's local path (slskd's view) into `settings.downloadsDir` when they differ. */
  function translate(localFilename: string, slskdDir: string | null): string {
    const mine = settings.downloadsDir;
    if (mine === undefined || slskdDir === null) return localFilename;
    const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
    const from = norm(slskdDir);
    const file = norm(localFilename);
    if (from === '' || !(file === from || file.startsWith(`${from}/`))) return localFilename;
    const relative = file
      .slice(from.length + 1)
      .split('/')
      .filter(Boolean);
    return path.join(mine, ...relative);
  }

  /** The path if it is a regular file inside the root; null if missing; throws when outside. */
  async function confinedFile(root: string, candidate: string): Promise<string | null> {
    const real = await confinedIfExists(root, candidate);
    if (real === null) return null;
    return (await stat(real)).isFile() ? candidate : null;
  }

  /**
   * The `localFilename` of the newest `DownloadFileComplete` for this transfer: `undefined` when the
   * log has none, null when the log cannot be read (an slskd without it, or an error).
   */
  async function localFilenameFromEvents(
    transfer: TransferStatus,
  ): Promise<string | undefined | null> {
    let byName: string | undefined;
    for (let page = 0; page < EVENTS_MAX_PAGES; page += 1) {
      let entries;
      let total;
      try {
        ({ entries, total } = await api.getEvents(page * EVENTS_PAGE_SIZE, EVENTS_PAGE_SIZE));
      } catch {
        return page === 0 ? null : byName;
      }
      // Newest first: the first match is the newest; older records of the same remote file (an
      // earlier download of it, with another local name) come later and are never taken.
      for (const entry of entries) {
        if (entry.type !== 'DownloadFileComplete' || entry.data === undefined) continue;
        let data;
        try {
          data = check(
            DownloadFileCompleteSchema,
            JSON.parse(entry.data),
            'event data',
            'GET /events',
          );
        } catch {
          continue; // one odd entry must not hide the others
        }
        if (data.transfer?.id === transfer.id) return data.localFilename;
        const remote = data.remoteFilename ?? data.transfer?.filename;
        if (
          byName === undefined &&
          data.transfer?.id === undefined &&
          remote === transfer.filename &&
          data.transfer?.username === transfer.username
        ) {
          byName = data.localFilename;
        }
      }
      const seen = (page + 1) * EVENTS_PAGE_SIZE;
      if (entries.length < EVENTS_PAGE_SIZE || (total !== undefined && seen >= total)) break;
    }
    return byName;
  }

  /** The directory rule's file when its size is the transfer's and stays so for a moment. */
  async function stableRuleFile(root: string, transfer: TransferStatus): Promise<string | null> {
    const guess = directoryRulePath(root, transfer.filename);
    const found = await confinedFile(root, guess);
    if (found === null) return null;
    const first = await stat(found);
    if (transfer.size > 0 && first.size !== transfer.size) return null;
    await sleep(STABLE_MS);
    const second = await stat(found).catch(() => null);
    if (!second || second.size !== first.size || second.mtimeMs !== first.mtimeMs) return null;
    return found;
  }

  /**
   * Absolute local path of a finished file (inside the downloads folder), or null while it is not
   * there yet. Throws ProviderError `file_not_found` when slskd names a file outside the folder.
   */
  async function localPath(
    transfer: TransferStatus,
    options: LocateOptions = {},
  ): Promise<string | null> {
    const slskdDir = await deps.slskdDownloads();
    const root = settings.downloadsDir ?? slskdDir;
    if (root === null) return null;
    const fromEvents = await localFilenameFromEvents(transfer);
    if (typeof fromEvents === 'string') {
      const translated = translate(fromEvents, slskdDir);
      try {
        const found = await confinedFile(root, translated);
        if (found !== null) return found;
        // slskd's own path, when SoulSpot sees the folder under the same name after all.
        if (translated !== fromEvents) {
          const same = await confinedFile(root, fromEvents).catch(() => null);
          if (same !== null) return same;
        }
      } catch (error) {
        if (error instanceof OutsideRootError) throw outside(fromEvents, root, error);
        throw error;
      }
    }
    const patient = (options.waitedMs ?? Number.POSITIVE_INFINITY) < EVENT_GRACE_MS;
    if (fromEvents !== null && patient) return null;
    try {
      return await stableRuleFile(root, transfer);
    } catch (error) {
      if (error instanceof OutsideRootError) {
        throw outside(directoryRulePath(root, transfer.filename), root, error);
      }
      throw error;
    }
  }

  return { downloadsRoot, localPath };
}
