import { linkForMessages } from '../link-redaction.js';
import { lanAllowedPolicy } from '../../net/address-policy.js';
import { extensionOf } from '../../matching/quality-policy.js';
import { AUDIO_FORMATS } from '../../matching/quality-profile.js';
import {
  namedReleaseFile,
  pickReleaseFile,
  type ReleaseEntry,
} from '../../matching/release-files.js';
import type { TrackTarget } from '../../matching/track-match.js';
import { SafeFetchError, safeFetch } from '../../net/safe-fetch.js';
import { BencodeError, magnetInfoHash, readTorrent } from '../bencode.js';
import { ProviderError, type EnqueueRequest } from '../provider.js';
import type { IndexerRelease } from '../release.js';
import type { QbittorrentApi, TorrentFile, TorrentInfo } from './qbittorrent.api.js';
import { isBatchId, wantTag, wantsOf, type Want } from './qbittorrent.mapping.js';
import type { QbittorrentSettings } from './qbittorrent.settings.js';

/**
 * Adding a release to qBittorrent for one download. SoulSpot fetches a .torrent itself (safe-fetch:
 * size and time limits, no private addresses unless allowed) to know its info-hash before adding
 * it; a magnet link carries the hash and is handed over as is. The want tag goes on with the add,
 * so a crash after it leaves a torrent `findEnqueued` finds by batch id.
 */

const POLL_MS = 200;

export interface EnqueueDeps {
  api: QbittorrentApi;
  settings: QbittorrentSettings;
  /** The .torrent behind an indexer's link, or the magnet link it redirects to. */
  fetchTorrent?: (url: string) => Promise<Buffer | { magnet: string }>;
  /** The file list, cached by the provider. */
  filesOf: (hash: string) => Promise<TorrentFile[] | null>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export function defaultFetchTorrent(settings: QbittorrentSettings) {
  return async (url: string): Promise<Buffer | { magnet: string }> => {
    try {
      const reply = await safeFetch(url, {
        maxBytes: settings.maxTorrentBytes,
        timeoutMs: settings.requestTimeoutMs,
        policy: settings.allowPrivateIndexerLinks ? lanAllowedPolicy() : {},
        // Prowlarr and Jackett answer a magnet-only release's download link with a redirect.
        answerRedirectsTo: ['magnet:'],
      });
      const location = reply.headers.location;
      if (reply.status >= 300 && reply.status < 400 && location?.startsWith('magnet:'))
        return { magnet: location };
      if (reply.status === 404 || reply.status === 410) {
        throw new ProviderError(
          'file_not_found',
          `The indexer no longer has this torrent (HTTP ${reply.status})`,
        );
      }
      if (reply.status !== 200) {
        throw new ProviderError(
          'transfer_failed',
          `The indexer answered HTTP ${reply.status} for the torrent`,
        );
      }
      return reply.body;
    } catch (error) {
      if (!(error instanceof SafeFetchError)) throw error;
      const code = error.reason === 'too_large' ? 'invalid_file' : 'transfer_failed';
      // Not error.message: it quotes the link, and indexers put their API key in it.
      throw new ProviderError(
        code,
        `Could not fetch the torrent from ${linkForMessages(url)} (${error.reason})`,
      );
    }
  };
}

export function createEnqueuer(deps: EnqueueDeps) {
  const { api, settings } = deps;
  const fetchTorrent = deps.fetchTorrent ?? defaultFetchTorrent(settings);

  /** Waits (bounded) for `probe` to give a value while qBittorrent catches up with an add. */
  async function waitFor<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
    const deadline = deps.now() + settings.metadataWaitMs;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (deps.now() >= deadline) {
        throw new ProviderError(
          'timeout',
          `qBittorrent did not ${what} within ${settings.metadataWaitMs} ms`,
        );
      }
      await deps.sleep(POLL_MS);
    }
  }

  const torrentOf = async (hash: string): Promise<TorrentInfo | null> =>
    (await api.info({ hashes: [hash] }))[0] ?? null;

  function ensureOurs(t: TorrentInfo): void {
    if ((t.category ?? '') !== settings.category) {
      throw new ProviderError(
        'transfer_rejected',
        `qBittorrent already has this torrent ("${t.name}") outside SoulSpot's category "${settings.category}": left alone`,
      );
    }
  }

  /** What the release is: its hash, and the .torrent's bytes when it is not a magnet link. */
  async function resolve(
    link: string,
  ): Promise<{ hash: string; torrent?: Buffer; magnet?: string }> {
    const magnet = (uri: string) => {
      const hash = magnetInfoHash(uri);
      if (!hash)
        throw new ProviderError(
          'invalid_file',
          'The magnet link carries no BitTorrent v1 info-hash',
        );
      return { hash, magnet: uri };
    };
    if (link.startsWith('magnet:')) return magnet(link);
    const fetched = await fetchTorrent(link);
    if (!Buffer.isBuffer(fetched)) return magnet(fetched.magnet);
    const torrent = fetched;
    try {
      return { hash: readTorrent(torrent).infoHash, torrent };
    } catch (error) {
      if (error instanceof BencodeError) {
        throw new ProviderError(
          'invalid_file',
          `The indexer's file is not a torrent: ${error.message}`,
        );
      }
      throw error;
    }
  }

  /**
   * Drops this request's hold on a torrent it will not fetch from. Read again first, as cancel()
   * does: another download may have joined the torrent this one added (another process, or one
   * the lock below did not cover), and deleting it would take its files too.
   */
  async function letGo(hash: string, want: Want, fresh: boolean): Promise<void> {
    const t = await torrentOf(hash);
    if (!t) return;
    const others = wantsOf(t).filter((w) => w.batchId !== want.batchId);
    if (fresh && others.length === 0) await api.delete(hash, true);
    else await api.removeTags(hash, [wantTag(want)]);
  }

  /**
   * One enqueue at a time per torrent in this process: add, join, choose and delete each read the
   * torrent's tags and act on them, and two tracks of one album enqueue the same torrent at once.
   */
  const locks = new Map<string, Promise<unknown>>();
  async function serialized<T>(hash: string, fn: () => Promise<T>): Promise<T> {
    const before = locks.get(hash) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    locks.set(hash, settled);
    try {
      return await run;
    } finally {
      if (locks.get(hash) === settled) locks.delete(hash);
    }
  }

  /** The file of the torrent that is the wanted track; the others left unselected. */
  async function chooseFile(
    hash: string,
    want: Want,
    target: TrackTarget,
    fresh: boolean,
    named: string | undefined,
  ) {
    const files = await waitFor(async () => {
      const list = await deps.filesOf(hash);
      return list && list.length > 0 ? list : null;
    }, "list the torrent's files");
    const entries = files.map((f) => ({ path: f.name, size: f.size }));
    if (!entries.some((e) => AUDIO_FORMATS.includes(extensionOf(e.path)))) {
      await letGo(hash, want, fresh);
      // No audio at all (a setup.exe, an archive): a fake or broken release, not another part of
      // the album, so invalid_file, which blocks it.
      throw new ProviderError(
        'invalid_file',
        `None of the ${files.length} files of the torrent is audio`,
      );
    }
    // The file an album search chose from this torrent's files, else the track's best match.
    const pick =
      (named !== undefined ? namedReleaseFile(entries, named) : null) ??
      pickReleaseFile(entries, target);
    if (!pick) {
      await letGo(hash, want, fresh);
      // The torrent is fine, it just is not this track's (a single, another part of the album):
      // not file_not_found, which would block it for the album's other tracks.
      throw new ProviderError(
        'track_not_in_release',
        `None of the ${files.length} files of the torrent is the wanted track "${target.artist} – ${target.title}"`,
      );
    }
    const chosen = files[entries.indexOf(pick.entry)]!.index;
    const t = await torrentOf(hash);
    // Files another download of this torrent wants (or one filed and left seeding) stay selected.
    const others = t ? wantsOf(t).filter((w) => w.batchId !== want.batchId) : [];
    // One still picking (`pick`) may want any file: as one wanting the whole torrent, all stay.
    if (!others.some((w) => w.file === null || w.file === 'pick')) {
      const kept = new Set(others.flatMap((w) => (typeof w.file === 'number' ? [w.file] : [])));
      const off = files.filter((f) => f.index !== chosen && !kept.has(f.index)).map((f) => f.index);
      await api.filePriority(hash, off, 0);
    }
    await api.filePriority(hash, [chosen], 1);
    await api.addTags(hash, [wantTag({ ...want, file: chosen })]);
    await api.removeTags(hash, [wantTag(want)]);
    return chosen;
  }

  /** Adds (or joins) the torrent for this request; returns its hash. */
  async function enqueue(request: EnqueueRequest): Promise<string> {
    const release = request.release;
    if (!release || release.protocol !== 'torrent') {
      throw new ProviderError('transfer_rejected', 'qBittorrent fetches torrent releases only');
    }
    if (!isBatchId(request.batchId)) {
      throw new ProviderError(
        'unknown',
        `batch id "${request.batchId}" cannot be a qBittorrent tag`,
      );
    }
    const { hash, torrent, magnet } = await resolve(release.link);
    const want: Want = {
      batchId: request.batchId.toLowerCase(),
      file: request.want ? 'pick' : null,
      done: false,
    };
    return serialized(hash, () => addOrJoin(request, release, { hash, torrent, magnet }, want));
  }

  /** Under the torrent's lock: adds it or joins it, then picks this request's file. */
  async function addOrJoin(
    request: EnqueueRequest,
    release: IndexerRelease,
    { hash, torrent, magnet }: { hash: string; torrent?: Buffer; magnet?: string },
    want: Want,
  ): Promise<string> {
    const present = await torrentOf(hash);
    let fresh = false;
    if (present) {
      ensureOurs(present);
      await api.addTags(hash, [wantTag(want)]);
      if (want.file === null) {
        const files = (await deps.filesOf(hash)) ?? [];
        await api.filePriority(
          hash,
          files.filter((f) => f.priority === 0).map((f) => f.index),
          1,
        );
      }
    } else {
      const added = await api.add({
        ...(torrent ? { torrent } : { url: magnet ?? release.link }),
        category: settings.category,
        ...(settings.savePath !== undefined ? { savePath: settings.savePath } : {}),
        tags: [wantTag(want)],
        // A stopped torrent gets its priorities before any byte moves; a stopped magnet would
        // never fetch the metadata those priorities need.
        stopped: request.want !== undefined && torrent !== undefined,
      });
      if (added) {
        await waitFor(() => torrentOf(hash), 'list the added torrent');
        fresh = true;
      } else {
        // "Fails.": already there after all (a concurrent add): joined like one found above.
        const listed = await torrentOf(hash);
        if (!listed)
          throw new ProviderError('invalid_file', 'qBittorrent refused the torrent ("Fails.")');
        ensureOurs(listed);
        await api.addTags(hash, [wantTag(want)]);
      }
    }
    if (request.want) {
      await chooseFile(hash, want, request.want, fresh, release.file);
      if (fresh && torrent !== undefined) await api.start(hash);
    }
    // A torrent that was seeding has let go of the seeders it now needs again: ask for peers at
    // once instead of waiting for the next announce (a minute or more).
    if (!fresh) await api.reannounce(hash).catch(() => undefined);
    return hash;
  }

  /**
   * The torrent's files, from the .torrent behind the link (fetched as an enqueue fetches it);
   * null for a magnet link, whose files only the swarm knows. Nothing is added to qBittorrent.
   */
  async function releaseFiles(release: IndexerRelease): Promise<ReleaseEntry[] | null> {
    const { torrent } = await resolve(release.link);
    if (!torrent) return null;
    return readTorrent(torrent).files.map((f) => ({ path: f.path, size: f.size }));
  }

  return { enqueue, releaseFiles };
}
