import {
  ProviderError,
  type DownloadProvider,
  type EnqueueRequest,
  type ProviderHealth,
  type SearchSnapshot,
  type TransferStatus,
} from '../provider.js';
import {
  createSlskdApi,
  type SlskdApi,
  type SlskdTransfer,
  type SlskdUserGroup,
} from './slskd.api.js';
import {
  classifyExceptionText,
  classifyTransferFailure,
  isFinalTransfer,
  isCompletedState,
  mapResponses,
  mapSearchState,
  mapTransfer,
  parseSlskdTime,
  PROVIDER_NAME,
} from './slskd.mapping.js';
import { createSlskdFiles } from './slskd.files.js';
import type { SlskdSettings } from './slskd.settings.js';

/** Delay before re-reading responses when slskd saved `Completed` before the responses (§4). */
const RESPONSES_RETRY_MS = 300;
const CANCEL_POLL_MS = 150;

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
  const enqueueLock = createMutex();
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

  /** The newest matching record from a user's downloads, preferring active ones. */
  function pickTransfer(
    groups: readonly SlskdUserGroup[],
    username: string,
    filename: string,
    activeOnly: boolean,
  ): SlskdTransfer | null {
    const matches: SlskdTransfer[] = [];
    for (const group of groups) {
      if (group.username !== username) continue;
      for (const directory of group.directories) {
        for (const transfer of directory.files) {
          if (transfer.filename !== filename || transfer.removed === true) continue;
          if (activeOnly && isCompletedState(transfer.state)) continue;
          matches.push(transfer);
        }
      }
    }
    const time = (t: SlskdTransfer) => parseSlskdTime(t.requestedAt) ?? 0;
    matches.sort((a, b) => {
      const activeA = isCompletedState(a.state) ? 0 : 1;
      const activeB = isCompletedState(b.state) ? 0 : 1;
      return activeB - activeA || time(b) - time(a);
    });
    return matches[0] ?? null;
  }

  async function findUserTransfer(
    username: string,
    filename: string,
    activeOnly: boolean,
  ): Promise<SlskdTransfer | null> {
    const group = await api.getUserDownloads(username);
    if (group === null) return null;
    return pickTransfer([group], username, filename, activeOnly);
  }

  /** "Skipped: Already in progress": the (username, filename) pair is active already; adopt it. */
  async function adoptActive(request: EnqueueRequest): Promise<TransferStatus> {
    const existing =
      (await findUserTransfer(request.username, request.filename, true)) ??
      pickTransfer(await api.getAllDownloads(), request.username, request.filename, true);
    if (existing === null) {
      throw new ProviderError(
        'unknown',
        `slskd skipped ${request.filename} from ${request.username} as already in progress, ` +
          'but no active transfer for it was found',
      );
    }
    return mapTransfer(existing);
  }

  async function enqueueBatch(request: EnqueueRequest): Promise<TransferStatus> {
    const file = { filename: request.filename, size: request.size };
    const reply = await api.postBatch({
      id: request.batchId,
      username: request.username,
      files: [file],
    });
    if (reply.status === 409) {
      // 409 here means "batch id exists" (a retried enqueue); guard against a not-logged-in text anyway.
      if (/not (?:connected|logged in)/i.test(reply.message)) {
        throw new ProviderError(
          'slskd_unavailable',
          `slskd is not logged in to Soulseek: ${reply.message}`,
          409,
        );
      }
      return adoptBatch(request);
    }
    const transfer = reply.body.batch?.transfers?.find((t) => t.filename === request.filename);
    if (transfer !== undefined) return mapTransfer(transfer);
    const failure =
      reply.body.failures?.find((f) => f.filename === request.filename) ?? reply.body.failures?.[0];
    if (failure !== undefined) {
      const message = failure.message ?? '';
      if (/^\s*skipped/i.test(message) || /already in progress/i.test(message)) {
        return adoptActive(request);
      }
      const classified = classifyExceptionText(message);
      throw new ProviderError(
        classified?.code ?? 'transfer_failed',
        classified?.message ?? `slskd could not enqueue the file: ${message || 'no reason given'}`,
        reply.status,
      );
    }
    // 201 without the transfer in the body: read the batch back.
    return adoptBatch(request);
  }

  async function adoptBatch(request: EnqueueRequest): Promise<TransferStatus> {
    const batch = await api.getBatch(request.batchId);
    const transfer =
      batch?.transfers?.find((t) => t.filename === request.filename) ?? batch?.transfers?.[0];
    if (transfer === undefined) {
      throw new ProviderError(
        'unknown',
        `slskd batch ${request.batchId} exists but holds no transfer for ${request.filename}`,
      );
    }
    return mapTransfer(transfer);
  }

  async function enqueueLegacy(request: EnqueueRequest): Promise<TransferStatus> {
    const result = await api.postLegacyEnqueue(request.username, [
      { filename: request.filename, size: request.size },
    ]);
    const created = result.enqueued?.find((t) => t.filename === request.filename);
    if (created !== undefined) return mapTransfer(created);
    // Skipped (a `{}` failure), or a ≤0.23 server with an empty body: look the transfer up. An
    // active record is what a skip means; otherwise take the newest.
    const existing =
      (await findUserTransfer(request.username, request.filename, true)) ??
      (await findUserTransfer(request.username, request.filename, false));
    if (existing === null) {
      throw new ProviderError(
        'transfer_failed',
        `slskd accepted the enqueue of ${request.filename} but created no transfer for it`,
      );
    }
    return mapTransfer(existing);
  }

  // Local paths of finished files (events log, directory rule, confinement): slskd.files.ts.
  const files = createSlskdFiles({ api, settings, slskdDownloads });

  return {
    name: PROVIDER_NAME,

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
      if (responses.length === 0 && (search.responseCount ?? 0) > 0) {
        await sleep(RESPONSES_RETRY_MS);
        responses = (await api.getSearchResponses(id)) ?? [];
      }
      return { state: 'complete', candidates: mapResponses(responses) };
    },

    async deleteSearch(id) {
      await api.deleteSearch(id);
    },

    async enqueue(request) {
      return enqueueLock(async () =>
        supportsBatches(await version()) ? enqueueBatch(request) : enqueueLegacy(request),
      );
    },

    async findEnqueued(request) {
      if (supportsBatches(await version())) {
        const batch = await api.getBatch(request.batchId);
        if (batch === null) return null;
        const transfer =
          batch.transfers?.find((t) => t.filename === request.filename) ?? batch.transfers?.[0];
        return transfer === undefined ? null : mapTransfer(transfer);
      }
      const transfer = await findUserTransfer(request.username, request.filename, false);
      return transfer === null ? null : mapTransfer(transfer);
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
  };
}
