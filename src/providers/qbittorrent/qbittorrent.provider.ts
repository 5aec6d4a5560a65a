import { confinedRealPath, OutsideRootError } from '../../library/confine.js';
import { toLocalPath } from '../path-mapping.js';
import {
  ProviderError,
  type DownloadClient,
  type EnqueueRequest,
  type ProviderHealth,
  type TransferStatus,
} from '../provider.js';
import {
  createQbittorrentApi,
  PROVIDER_NAME,
  type QbittorrentApi,
  type TorrentFile,
  type TorrentInfo,
} from './qbittorrent.api.js';
import { createEnqueuer } from './qbittorrent.enqueue.js';
import {
  classifyFailure,
  mapState,
  mapWant,
  parseTransferId,
  wantsOf,
  wantTag,
  type Want,
} from './qbittorrent.mapping.js';
import type { QbittorrentSettings } from './qbittorrent.settings.js';

export type QbittorrentProvider = DownloadClient & {
  /** "v4.5.2 (Web API 2.8.19)", or null while unreachable. */
  version(): Promise<string | null>;
};

export interface QbittorrentProviderDeps {
  api?: QbittorrentApi;
  /** The .torrent behind an indexer's link; default: safe-fetch with the settings' limits. */
  fetchTorrent?: (url: string) => Promise<Buffer | { magnet: string }>;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * qBittorrent as a download client (docs/architecture.md, "Providers"). Each download is a want
 * tagged on its torrent (qbittorrent.mapping.ts), so everything SoulSpot needs after a restart is
 * in qBittorrent. One `torrents/info` call per cycle for all of SoulSpot's torrents (its
 * category); file lists are asked once per torrent and cached (they never change).
 */
export function createQbittorrentProvider(
  settings: QbittorrentSettings,
  deps: QbittorrentProviderDeps = {},
): QbittorrentProvider {
  const api = deps.api ?? createQbittorrentApi(settings);
  const now = deps.now ?? Date.now;
  const rules = settings;
  const fileLists = new Map<string, TorrentFile[]>();
  let defaultSave: string | null = null;

  async function filesOf(hash: string): Promise<TorrentFile[] | null> {
    const cached = fileLists.get(hash);
    if (cached) return cached;
    const files = await api.files(hash);
    // Empty while a magnet's metadata is unknown: not cached then.
    if (files && files.length > 0) fileLists.set(hash, files);
    return files;
  }

  const enqueuer = createEnqueuer({
    api,
    settings,
    filesOf,
    sleep,
    now,
    ...(deps.fetchTorrent ? { fetchTorrent: deps.fetchTorrent } : {}),
  });

  async function ours(hash: string): Promise<TorrentInfo | null> {
    const [t] = await api.info({ hashes: [hash] });
    return t && (t.category ?? '') === settings.category ? t : null;
  }

  /**
   * A complete torrent with a file want still open is asked for its files afresh (one call, only
   * until that download is filed and forgotten): its own state lags behind a newly selected file.
   */
  async function statusesOf(t: TorrentInfo): Promise<TransferStatus[]> {
    const wants = wantsOf(t);
    const fileWants = wants.some((w) => typeof w.file === 'number');
    const fresh =
      fileWants &&
      mapState(t.state) === 'succeeded' &&
      wants.some((w) => !w.done && typeof w.file === 'number');
    const files = !fileWants
      ? null
      : fresh
        ? await api.files(t.hash).catch(() => null)
        : await filesOf(t.hash).catch(() => null);
    return wants.map((want) => mapWant(t, want, files, rules, now(), fresh && files !== null));
  }

  async function listTransfers(): Promise<TransferStatus[]> {
    const torrents = await api.info({ category: settings.category });
    const listed = new Set(torrents.map((t) => t.hash));
    for (const hash of fileLists.keys()) if (!listed.has(hash)) fileLists.delete(hash);
    return (await Promise.all(torrents.map(statusesOf))).flat();
  }

  async function findEnqueued(request: EnqueueRequest): Promise<TransferStatus | null> {
    const batchId = request.batchId.toLowerCase();
    const mine = (await listTransfers()).filter((t) => t.batchId === batchId);
    return mine.find((t) => !t.removed) ?? mine[0] ?? null;
  }

  /** Drops one download's want; the torrent goes (with its data) when no other want holds it. */
  async function cancel(_source: string, id: string): Promise<void> {
    const ref = parseTransferId(id);
    if (!ref) return;
    const t = await ours(ref.hash);
    if (!t) return;
    const wants = wantsOf(t);
    const mine = wants.filter((w) => w.batchId === ref.batchId);
    const others = wants.filter((w) => w.batchId !== ref.batchId);
    if (others.length === 0) {
      await api.delete(ref.hash, true);
      fileLists.delete(ref.hash);
      return;
    }
    await api.removeTags(ref.hash, mine.map(wantTag));
    if (others.some((w) => w.file === null)) return;
    const kept = new Set(others.map((w) => w.file));
    const off = mine.flatMap((w) =>
      typeof w.file === 'number' && !kept.has(w.file) ? [w.file] : [],
    );
    await api.filePriority(ref.hash, off, 0);
  }

  async function downloadsRoot(): Promise<string | null> {
    if (settings.downloadsDir !== undefined) return settings.downloadsDir;
    try {
      defaultSave ??= settings.savePath ?? (await api.defaultSavePath());
    } catch {
      return null;
    }
    return toLocalPath(defaultSave, settings.pathMappings);
  }

  return {
    name: PROVIDER_NAME,
    // A swarm has no per-source upload slots.
    sourceLimit: 'none',
    // The torrent keeps seeding from its files: filing copies, never moves or removes them.
    keepsFiles: true,
    releaseFiles: (release) => enqueuer.releaseFiles(release),

    async version() {
      try {
        return `${await api.version()} (Web API ${await api.webapiVersion()})`;
      } catch {
        return null;
      }
    },

    async health(): Promise<ProviderHealth> {
      try {
        const version = `${await api.version()} (Web API ${await api.webapiVersion()})`;
        return { state: 'up', version };
      } catch (error) {
        return { state: 'down', message: error instanceof Error ? error.message : String(error) };
      }
    },

    async enqueue(request) {
      const earlier = await findEnqueued(request);
      // After a crash the add may have happened: never add twice (qBittorrent answers "Fails.").
      if (earlier) return earlier;
      const hash = await enqueuer.enqueue(request);
      const t = await ours(hash);
      const status = t
        ? (await statusesOf(t)).find((s) => s.batchId === request.batchId.toLowerCase())
        : undefined;
      if (!status)
        throw new ProviderError('unknown', 'qBittorrent lost the torrent right after adding it');
      return status;
    },

    findEnqueued,
    listTransfers,
    cancel,

    async forget(source, id) {
      const ref = parseTransferId(id);
      if (!ref) return;
      const t = await ours(ref.hash);
      if (!t) return;
      if (mapState(t.state) !== 'succeeded' || t.progress < 1) {
        // Nothing worth seeding: an unfinished torrent nobody follows is removed.
        await cancel(source, id);
        return;
      }
      // Left seeding under qBittorrent's own ratio rules; the want is marked done, no longer listed.
      const mine = wantsOf(t).filter((w) => w.batchId === ref.batchId && !w.done);
      await api.addTags(
        ref.hash,
        mine.map((w: Want) => wantTag({ ...w, done: true })),
      );
      await api.removeTags(ref.hash, mine.map(wantTag));
    },

    queuePosition: () => Promise.resolve(null),

    describeFailure(transfer) {
      return { ...classifyFailure(transfer), daemonRestart: false, final: true };
    },

    async localPath(transfer) {
      const ref = parseTransferId(transfer.id);
      if (!ref) return null;
      const t = await ours(ref.hash);
      if (!t || mapState(t.state) !== 'succeeded' || t.progress < 1) return null;
      const want = wantsOf(t).find((w) => w.batchId === ref.batchId);
      if (!want || want.file === 'pick') return null;
      let remote: string;
      if (typeof want.file === 'number') {
        // Fresh, not cached: the file's own progress says whether it is all there.
        const file = (await api.files(ref.hash))?.find((f) => f.index === want.file);
        if (!file || file.progress < 1) return null;
        remote = `${t.save_path.replace(/[\\/]+$/, '')}/${file.name}`;
      } else {
        remote = t.content_path ?? `${t.save_path.replace(/[\\/]+$/, '')}/${t.name}`;
      }
      const local = toLocalPath(remote, settings.pathMappings);
      const root = await downloadsRoot();
      if (root === null) return null;
      try {
        return await confinedRealPath(root, local);
      } catch (error) {
        if (error instanceof OutsideRootError) {
          throw new ProviderError(
            'file_not_found',
            `qBittorrent names ${local}, outside the downloads folder ${root}: refused`,
          );
        }
        return null; // not there (yet)
      }
    },

    downloadsRoot,
  };
}
