import { rm } from 'node:fs/promises';
import { toLocalPath } from '../path-mapping.js';
import {
  ProviderError,
  type DownloadClient,
  type EnqueueRequest,
  type ProviderHealth,
  type TransferStatus,
} from '../provider.js';
import { createNzbgetApi, PROVIDER, type NzbgetApi, type NzbgetHistoryItem } from './nzbget.api.js';
import {
  classifyNzbget,
  isOurs,
  mapGroup,
  mapHistory,
  PARAM_FILE,
  PARAM_SOURCE,
  PARAM_WANT,
} from './nzbget.mapping.js';
import type { NzbgetSettings } from './nzbget.settings.js';
import { confinedJobFolder, finishedFile } from './usenet-files.js';
import { batchIdOf, fetchNzb, jobName, nzbReleaseFiles, prepareNzb } from './usenet-nzb.js';
import { createWantMemo, decodeWant, encodeWant } from './usenet-want.js';

const CANCEL_POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type NzbgetProvider = DownloadClient & { version(): Promise<string | null> };

/** The folder NZBGet put a finished job in (FinalDir when a script moved it, else DestDir). */
const jobFolder = (item: NzbgetHistoryItem): string =>
  item.FinalDir !== undefined && item.FinalDir !== '' ? item.FinalDir : item.DestDir;

/**
 * NZBGet as a SoulSpot download client. A job is one enqueue: named `<title>.ss-<batchId>` in the
 * configured category (so it is found again after a crash, and jobs of the user's own are never
 * listed, cancelled or swept), with the source, file and wanted track as its post-processing
 * parameters.
 */
export function createNzbgetProvider(
  settings: NzbgetSettings,
  api: NzbgetApi = createNzbgetApi(settings),
): NzbgetProvider {
  const wants = createWantMemo();
  let cachedVersion: string | null = null;
  let root: string | null | undefined;

  async function downloadsRoot(): Promise<string | null> {
    if (settings.downloadsDir !== undefined) return settings.downloadsDir;
    if (root !== undefined) return root;
    try {
      const destDir = (await api.config()).get('DestDir');
      root =
        destDir === undefined || destDir === ''
          ? null
          : toLocalPath(destDir, settings.pathMappings);
    } catch {
      return null; // not cached: asked again next time
    }
    return root;
  }

  async function ourJobs(): Promise<TransferStatus[]> {
    const [groups, history] = await Promise.all([api.listgroups(), api.history()]);
    return [
      ...groups.filter((g) => isOurs(g, settings.category)).map(mapGroup),
      ...history
        .filter((h) => (h.Kind ?? 'NZB') === 'NZB' && isOurs(h, settings.category))
        .map(mapHistory),
    ];
  }

  async function findEnqueued(request: EnqueueRequest): Promise<TransferStatus | null> {
    const wanted = request.batchId.toLowerCase();
    const found = (await ourJobs()).find((t) => t.batchId?.toLowerCase() === wanted) ?? null;
    if (found !== null) wants.remember(request.batchId, request.want);
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
        return { state: 'up', version: cachedVersion };
      } catch (error) {
        return { state: 'down', message: error instanceof Error ? error.message : String(error) };
      }
    },

    async enqueue(request) {
      // Idempotent: an enqueue repeated after a crash finds the job the first one added.
      const existing = await findEnqueued(request);
      if (existing !== null) return existing;
      const prepared = prepareNzb(
        await fetchNzb(request, settings.nzbFetch),
        request.want,
        request.release?.file,
      );
      const parameters = [
        { Name: PARAM_SOURCE, Value: request.username },
        { Name: PARAM_FILE, Value: prepared.picked?.entry.path ?? request.filename },
      ];
      if (request.want !== undefined)
        parameters.push({ Name: PARAM_WANT, Value: encodeWant(request.want) });
      const name = jobName(request.release?.title ?? request.filename, request.batchId);
      const id = await api.append({
        name,
        content: prepared.content,
        category: settings.category,
        dupeKey: `soulspot-${request.batchId}`,
        parameters,
      });
      if (id <= 0) {
        throw new ProviderError(
          'transfer_rejected',
          `NZBGet refused the NZB of "${request.filename}"`,
          undefined,
          PROVIDER,
        );
      }
      wants.remember(request.batchId, request.want);
      const added = (await ourJobs()).find((t) => t.id === String(id));
      return (
        added ?? {
          id: String(id),
          username: request.username,
          filename: request.filename,
          size: request.size,
          state: 'queued_locally',
          raw: 'QUEUED',
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
      const id = Number(transferId);
      if (!Number.isInteger(id)) return;
      const inQueue = async () => (await api.listgroups()).some((g) => g.NZBID === id);
      if (await inQueue()) {
        // GroupFinalDelete: out of the queue, its partial files cleaned up, no history entry.
        await api.editqueue('GroupFinalDelete', [id]);
        const deadline = Date.now() + settings.cancelWaitMs;
        while (await inQueue()) {
          if (Date.now() >= deadline) {
            throw new ProviderError(
              'timeout',
              `NZBGet did not remove job ${id} within ${settings.cancelWaitMs} ms`,
              undefined,
              PROVIDER,
            );
          }
          await sleep(CANCEL_POLL_MS);
        }
      }
      const item = (await api.history()).find((h) => h.NZBID === id);
      if (item === undefined) return;
      // A finished job's files are SoulSpot's to remove only inside the downloads folder.
      const base = await downloadsRoot();
      const folder =
        base === null
          ? null
          : await confinedJobFolder(jobFolder(item), settings.pathMappings, base);
      if (folder !== null) await rm(folder, { recursive: true, force: true });
      await api.editqueue('HistoryFinalDelete', [id]);
    },

    async forget(_source, transferId) {
      const id = Number(transferId);
      if (Number.isInteger(id)) await api.editqueue('HistoryDelete', [id]);
    },

    async queuePosition(_source, transferId) {
      try {
        const queued = (await api.listgroups()).filter(
          (g) => g.Status === 'QUEUED' || g.Status === 'PAUSED',
        );
        const at = queued.findIndex((g) => String(g.NZBID) === transferId);
        return at < 0 ? null : at;
      } catch {
        return null;
      }
    },

    describeFailure(transfer) {
      const { code, message } = classifyNzbget(transfer);
      // NZBGet never retries a job by itself once it is in the history.
      return { code, message, daemonRestart: false, final: true };
    },

    async localPath(transfer, options) {
      if (transfer.state !== 'succeeded') return null;
      const item = (await api.history()).find((h) => String(h.NZBID) === transfer.id);
      if (item === undefined || mapHistory(item).state !== 'succeeded') return null;
      const base = await downloadsRoot();
      if (base === null) return null;
      const batchId = batchIdOf(item.NZBName) ?? undefined;
      const want =
        wants.get(batchId) ??
        decodeWant(item.Parameters?.find((p) => p.Name === PARAM_WANT)?.Value);
      return finishedFile({
        provider: PROVIDER,
        remotePath: jobFolder(item),
        mappings: settings.pathMappings,
        root: base,
        want,
        waitedMs: options?.waitedMs,
      });
    },

    downloadsRoot,
  };
}
