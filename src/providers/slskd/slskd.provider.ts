import {
  ProviderError,
  type DownloadProvider,
  type ProviderHealth,
  type SearchSnapshot,
} from '../provider.js';
import { createSlskdApi, type SlskdApi } from './slskd.api.js';
import { createEnqueuer } from './slskd.enqueue.js';
import {
  classifyTransferFailure,
  isFinalTransfer,
  isCompletedState,
  mapDirectoryFiles,
  mapResponses,
  mapSearchState,
  mapTransfer,
  PROVIDER_NAME,
} from './slskd.mapping.js';
import { createSlskdFiles } from './slskd.files.js';
import type { SlskdSettings } from './slskd.settings.js';

/** Delay before re-reading responses when slskd saved `Completed` before the responses (§4). */
const RESPONSES_RETRY_MS = 300;
const CANCEL_POLL_MS = 150;

/** slskd plays both roles: it searches the Soulseek network (indexer) and fetches (client). */
export type SlskdProvider = DownloadProvider & {
  /** slskd's version (`version.current`), cached after the first successful `/application` read. */
  version(): Promise<string | null>;
};

/** Runs tasks one at a time, in call order; a failure doesn't block the next task. */
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** True for "0.26.0" and later; false for older or unparseable versions. */
export function supportsBatches(version: string | null): boolean {
  const match = version === null ? null : /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 0 || minor >= 26;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSlskdProvider(
  settings: SlskdSettings,
  api: SlskdApi = createSlskdApi(settings),
): SlskdProvider {
  const searchLock = createMutex();
  const enqueuer = createEnqueuer(api, settings, createMutex());
  let cachedVersion: string | null = null;
  let slskdDownloadsDir: string | null | undefined;
  /** slskd's `transfers.download.retry.attempts`; null until read (then slskd's default applies). */
  let retryAttempts: number | null = null;

  async function version(): Promise<string | null> {
    if (cachedVersion !== null) return cachedVersion;
    const state = await api.getApplication();
    cachedVersion = state.version?.current ?? null;
    return cachedVersion;
  }

  /** slskd's own downloads directory (its view, maybe inside a container); cached. */
  async function slskdDownloads(): Promise<string | null> {
    if (slskdDownloadsDir !== undefined) return slskdDownloadsDir;
    await loadOptions();
    return slskdDownloadsDir ?? null;
  }

  /** Reads GET /options once: slskd's downloads directory and its own retry count. */
  async function loadOptions(): Promise<void> {
    try {
      const options = await api.getOptions();
      slskdDownloadsDir = options.directories?.downloads ?? null;
      retryAttempts = options.transfers?.download?.retry?.attempts ?? null;
    } catch {
      // not cached: try again next time
    }
  }

  // Local paths of finished files (events log, directory rule, confinement): slskd.files.ts.
  const files = createSlskdFiles({ api, settings, slskdDownloads });

  return {
    name: PROVIDER_NAME,
    // A Soulseek peer serves a few uploads at once and queues the rest: SoulSpot's per-source
    // limit (maxConcurrentPerUser) applies to every peer.
    sourceLimit: 'per-source',

    version: () => version().catch(() => null),

    async health(): Promise<ProviderHealth> {
      try {
        const state = await api.getApplication();
        cachedVersion = state.version?.current ?? cachedVersion;
        if (slskdDownloadsDir === undefined) await loadOptions();
        const health: ProviderHealth = { state: 'down' };
        if (cachedVersion !== null) health.version = cachedVersion;
        if (state.server.isConnected && state.server.isLoggedIn) {
          health.state = 'up';
        } else {
          const serverState =
            state.server.state ?? (state.server.isConnected ? 'Connected' : 'Disconnected');
          health.message = `slskd is not logged in to Soulseek (server state: ${serverState})`;
          health.offline = true;
        }
        return health;
      } catch (error) {
        return { state: 'down', message: error instanceof Error ? error.message : String(error) };
      }
    },

    async startSearch(id, text, timeoutMs) {
      await searchLock(async () => {
        try {
          await api.postSearch({
            id,
            searchText: text,
            searchTimeout: Math.max(5, Math.round(timeoutMs)),
          });
        } catch (error) {
          // A duplicate id answers 500: the search exists, so it has started.
          if (error instanceof ProviderError && error.status === 500) {
            const existing = await api.getSearch(id).catch(() => null);
            if (existing !== null) return;
          }
          throw error;
        }
      });
    },

    async getSearch(id): Promise<SearchSnapshot> {
      const search = await api.getSearch(id);
      if (search === null) return { state: 'missing', candidates: [] };
      if (mapSearchState(search) === 'running') return { state: 'running', candidates: [] };
      // SoulSpot never cancels its searches, so an errored one (refused while not logged in) or a
      // cancelled one without results (cut off by an slskd restart) is lost, not "nothing found".
      const flags = search.state.toLowerCase();
      if (
        flags.includes('errored') ||
        (flags.includes('cancelled') && (search.responseCount ?? 0) === 0)
      ) {
        return { state: 'missing', candidates: [] };
      }
      let responses = await api.getSearchResponses(id);
      if (responses === null) return { state: 'missing', candidates: [] };
      const counted = search.responseCount ?? 0;
      if (responses.length === 0 && counted > 0) {
        await sleep(RESPONSES_RETRY_MS);
        responses = (await api.getSearchResponses(id)) ?? [];
        // Still none of the responses it counted: an slskd restart lost them (§4 quirk 4), which is
        // not "nothing found". Search again.
        if (responses.length === 0) return { state: 'missing', candidates: [] };
      }
      return { state: 'complete', candidates: mapResponses(responses) };
    },

    async deleteSearch(id) {
      // slskd's DELETE removes only the record: a search still running carries on, holding one of
      // slskd's search slots and the peers' answers, until its own timeout. PUT stops it first
      // (404 for one that has ended: nothing to stop).
      await api.cancelSearch(id);
      await api.deleteSearch(id);
    },

    async enqueue(request) {
      return enqueuer.enqueue(request, supportsBatches(await version()));
    },

    async findEnqueued(request) {
      return enqueuer.findEnqueued(request, supportsBatches(await version()));
    },

    async listTransfers() {
      const groups = await api.getAllDownloads();
      return groups.flatMap((group) =>
        group.directories.flatMap((directory) => directory.files.map(mapTransfer)),
      );
    },

    async cancel(username, transferId) {
      await api.deleteDownload(username, transferId, false);
      const deadline = Date.now() + settings.cancelWaitMs;
      for (;;) {
        const transfer = await api.getDownload(username, transferId);
        if (transfer === null) return; // gone already
        if (isCompletedState(transfer.state)) break;
        if (Date.now() >= deadline) {
          // Best effort: slskd ignores remove=true on an active transfer, but it doesn't hurt.
          await api.deleteDownload(username, transferId, true).catch(() => undefined);
          throw new ProviderError(
            'timeout',
            `slskd did not confirm the cancellation of transfer ${transferId} within ` +
              `${settings.cancelWaitMs} ms (state "${transfer.state}")`,
          );
        }
        await sleep(CANCEL_POLL_MS);
      }
      await api.deleteDownload(username, transferId, true);
    },

    async forget(username, transferId) {
      // remove=true only hides a completed record; on an active one slskd ignores it.
      await api.deleteDownload(username, transferId, true);
    },

    async queuePosition(username, transferId) {
      try {
        const position = await api.getPosition(username, transferId);
        return Number.isFinite(position) ? Math.max(0, Math.trunc(position)) : null;
      } catch {
        return null;
      }
    },

    describeFailure(transfer) {
      const { code, message, isSlskdRestart } = classifyTransferFailure(transfer);
      // Before 0.26 slskd never retries; from 0.26 it retries errors and timeouts itself.
      const attempts = supportsBatches(cachedVersion) ? (retryAttempts ?? 3) : 1;
      return {
        code,
        message,
        daemonRestart: isSlskdRestart === true,
        final: isFinalTransfer(transfer, attempts),
      };
    },

    localPath: (transfer, options) => files.localPath(transfer, options),

    downloadsRoot: () => files.downloadsRoot(),

    async listFolder(username, directory) {
      return mapDirectoryFiles(username, await api.postDirectory(username, directory));
    },
  };
}
