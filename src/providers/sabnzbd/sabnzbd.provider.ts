import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { confinedJobFolder, finishedFile } from '../nzbget/usenet-files.js';
import {
  batchIdOf,
  fetchNzb,
  jobName,
  nzbReleaseFiles,
  postedBytes,
  prepareNzb,
} from '../nzbget/usenet-nzb.js';
import { createWantMemo } from '../nzbget/usenet-want.js';
import { toLocalPath } from '../path-mapping.js';
import {
  ProviderError,
  type DownloadClient,
  type EnqueueRequest,
  type ProviderHealth,
  type TransferStatus,
} from '../provider.js';
import { createSabnzbdApi, PROVIDER, type SabnzbdApi } from './sabnzbd.api.js';
import { classifySabnzbd, isOurs, mapHistorySlot, mapQueueSlot } from './sabnzbd.mapping.js';
import type { SabnzbdSettings } from './sabnzbd.settings.js';

const CANCEL_POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type SabnzbdProvider = DownloadClient & { version(): Promise<string | null> };

/**
 * SABnzbd as a SoulSpot download client. A job is one enqueue, named `<title>.ss-<batchId>`
 * (`nzbname`) in the configured category, so it is found again after a crash and the user's own
 * jobs are never listed, cancelled or swept. SABnzbd keeps no free parameters on a job, so the
 * wanted track is remembered in memory; across a restart the job itself answers, since a
 * multi-file NZB is sent reduced to the wanted file (usenet-nzb.ts) and its folder then holds one
 * audio file.
 */
export function createSabnzbdProvider(
  settings: SabnzbdSettings,
  api: SabnzbdApi = createSabnzbdApi(settings),
): SabnzbdProvider {
  const wants = createWantMemo();
  const sources = new Map<string, string>();
  let cachedVersion: string | null = null;
  let root: string | null | undefined;

  const sourceOf = (name: string): string =>
    sources.get(batchIdOf(name)?.toLowerCase() ?? '') ?? settings.category;

  async function downloadsRoot(): Promise<string | null> {
    if (settings.downloadsDir !== undefined) return settings.downloadsDir;
    if (root !== undefined) return root;
    try {
      const dir = await api.completeDir();
      root = dir === '' ? null : toLocalPath(dir, settings.pathMappings);
    } catch {
      return null;
    }
    return root;
  }

  async function ourJobs(): Promise<TransferStatus[]> {
    const [queue, history] = await Promise.all([api.queue(), api.history()]);
    return [
      ...queue.slots
        .filter((s) => isOurs(s.filename, s.cat, settings.category))
        .map((s) => mapQueueSlot(s, sourceOf(s.filename), queue.bytesPerSecond)),
      ...history
        .filter((s) => isOurs(s.name, s.category, settings.category))
        .map((s) => mapHistorySlot(s, sourceOf(s.name))),
    ];
  }

  function remember(request: EnqueueRequest): void {
    wants.remember(request.batchId, request.want);
    sources.set(request.batchId.toLowerCase(), request.username);
  }

  async function findEnqueued(request: EnqueueRequest): Promise<TransferStatus | null> {
    const wanted = request.batchId.toLowerCase();
    const found = (await ourJobs()).find((t) => t.batchId?.toLowerCase() === wanted) ?? null;
    if (found !== null) {
      remember(request);
      found.username = request.username;
    }
    return found;
  }

  return {
    name: PROVIDER,
    // A Usenet server has no per-poster upload slots: SoulSpot's per-source limit does not apply.
    sourceLimit: 'none',
    releaseFiles: (release) => nzbReleaseFiles(release, settings.nzbFetch),

    async version() {
      if (cachedVersion === null) cachedVersion = await api.version().catch(() => null);
      return cachedVersion;
    },

    async health(): Promise<ProviderHealth> {
      try {
        cachedVersion = await api.version();
        // mode=version needs no key: one keyed call tells a wrong key from a working one.
        await api.queue();
        return { state: 'up', version: cachedVersion };
      } catch (error) {
        const health: ProviderHealth = {
          state: 'down',
          message: error instanceof Error ? error.message : String(error),
        };
        if (cachedVersion !== null) health.version = cachedVersion;
        return health;
      }
    },

    async enqueue(request) {
      const existing = await findEnqueued(request);
      if (existing !== null) return existing;
      const prepared = prepareNzb(
        await fetchNzb(request, settings.nzbFetch),
        request.want,
        request.release?.file,
      );
      const name = jobName(request.release?.title ?? request.filename, request.batchId);
      const id = await api.addFile({
        name,
        content: prepared.content,
        category: settings.category,
        expectedBytes: postedBytes(
          prepared.picked === null
            ? prepared.files
            : prepared.files.filter((f) => f.name === prepared.picked!.entry.path),
        ),
      });
      remember(request);
      const added = (await ourJobs()).find((t) => t.id === id);
      return (
        added ?? {
          id,
          username: request.username,
          filename: name,
          size: request.size,
          state: 'queued_locally',
          raw: 'Queued',
          bytesTransferred: 0,
          averageSpeed: 0,
          percentComplete: 0,
          batchId: request.batchId,
        }
      );
    },

    findEnqueued,

    listTransfers: ourJobs,

    async cancel(_source, transferId) {
      const inQueue = async () => (await api.queue()).slots.some((s) => s.nzo_id === transferId);
      if (await inQueue()) {
        await api.delete('queue', transferId, true);
        const deadline = Date.now() + settings.cancelWaitMs;
        while (await inQueue()) {
          if (Date.now() >= deadline) {
            throw new ProviderError(
              'timeout',
              `SABnzbd did not remove job ${transferId} within ${settings.cancelWaitMs} ms`,
              undefined,
              PROVIDER,
            );
          }
          await sleep(CANCEL_POLL_MS);
        }
      }
      const slot = (await api.history()).find((s) => s.nzo_id === transferId);
      if (slot === undefined) return;
      // del_files removes an unfinished job's files; a completed job's folder is removed here,
      // only inside the downloads folder.
      const base = await downloadsRoot();
      if (base !== null && slot.storage) {
        const found = await confinedJobFolder(slot.storage, settings.pathMappings, base);
        // A one-file job's storage is the file itself: its job folder goes with it.
        const folder =
          found !== null &&
          (await stat(found)).isFile() &&
          path.basename(path.dirname(found)) === slot.name
            ? path.dirname(found)
            : found;
        if (folder !== null && folder !== base) await rm(folder, { recursive: true, force: true });
      }
      await api.delete('history', transferId, true);
    },

    async forget(_source, transferId) {
      await api.delete('history', transferId, false);
    },

    async queuePosition(_source, transferId) {
      try {
        const at = (await api.queue()).slots.findIndex((s) => s.nzo_id === transferId);
        return at < 0 ? null : at;
      } catch {
        return null;
      }
    },

    describeFailure(transfer) {
      const { code, message } = classifySabnzbd(transfer);
      // SABnzbd does not retry a job by itself once it is in the history.
      return { code, message, daemonRestart: false, final: true };
    },

    async localPath(transfer, options) {
      if (transfer.state !== 'succeeded') return null;
      const slot = (await api.history()).find((s) => s.nzo_id === transfer.id);
      if (slot === undefined || !slot.storage) return null;
      if (mapHistorySlot(slot, '').state !== 'succeeded') return null;
      const base = await downloadsRoot();
      if (base === null) return null;
      return finishedFile({
        provider: PROVIDER,
        remotePath: slot.storage,
        mappings: settings.pathMappings,
        root: base,
        want: wants.get(batchIdOf(slot.name) ?? undefined),
        waitedMs: options?.waitedMs,
      });
    },

    downloadsRoot,
  };
}
