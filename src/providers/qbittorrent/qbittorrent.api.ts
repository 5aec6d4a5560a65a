import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ProviderError, providerUnavailable } from '../provider.js';
import type { QbittorrentSettings } from './qbittorrent.settings.js';

/*
 * The raw qBittorrent Web API v2 layer: one method per route SoulSpot uses. A session cookie (SID)
 * from `auth/login`, renewed once when a call answers 403 (the session expired or qBittorrent
 * restarted). Every call has a deadline and a body cap; every JSON answer is schema-checked (extra
 * fields allowed: each release adds some). Tolerates 4.x and 5.x (pause/resume became stop/start).
 * The password is sent in the login form only and appears in no message.
 */

export const PROVIDER_NAME = 'qbittorrent';

export const TorrentInfoSchema = Type.Object({
  hash: Type.String(),
  name: Type.String(),
  state: Type.String(),
  /** 0..1 over the selected files. */
  progress: Type.Number(),
  /** Bytes of the selected files. */
  size: Type.Number(),
  completed: Type.Optional(Type.Number()),
  dlspeed: Type.Number(),
  eta: Type.Optional(Type.Number()),
  num_seeds: Type.Optional(Type.Number()),
  num_complete: Type.Optional(Type.Number()),
  save_path: Type.String(),
  content_path: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  /** Comma-separated, ", " between tags. */
  tags: Type.Optional(Type.String()),
  added_on: Type.Optional(Type.Number()),
  /** Epoch seconds of the last payload transfer. */
  last_activity: Type.Optional(Type.Number()),
});
export type TorrentInfo = Static<typeof TorrentInfoSchema>;

export const TorrentFileSchema = Type.Object({
  /** 2.8.2+; older: the position in the list. */
  index: Type.Optional(Type.Number()),
  /** Path relative to the save path, `/`-separated. */
  name: Type.String(),
  size: Type.Number(),
  progress: Type.Number(),
  priority: Type.Number(),
});
export type TorrentFile = Static<typeof TorrentFileSchema> & { index: number };

const InfoListSchema = Type.Array(TorrentInfoSchema);
const FileListSchema = Type.Array(TorrentFileSchema);

export interface AddTorrent {
  /** A .torrent's bytes, or… */
  torrent?: Buffer;
  /** …a magnet link (or URL qBittorrent fetches itself). */
  url?: string;
  category: string;
  savePath?: string;
  tags: string[];
  /** Added stopped (4.x `paused`, 5.x `stopped`), so file priorities are set before any byte. */
  stopped?: boolean;
}

export interface QbittorrentApi {
  /** Logs in (again); throws a ProviderError with a clear message on a refused login. */
  login(): Promise<void>;
  version(): Promise<string>;
  webapiVersion(): Promise<string>;
  defaultSavePath(): Promise<string>;
  /** true: added; false: qBittorrent answered "Fails." (already there, or not a torrent). */
  add(torrent: AddTorrent): Promise<boolean>;
  info(filter: { category?: string; hashes?: string[] }): Promise<TorrentInfo[]>;
  /** null: no such torrent (404). Empty while a magnet's metadata is not known yet. */
  files(hash: string): Promise<TorrentFile[] | null>;
  filePriority(hash: string, indexes: number[], priority: number): Promise<void>;
  addTags(hash: string, tags: string[]): Promise<void>;
  removeTags(hash: string, tags: string[]): Promise<void>;
  /** null on 404. */
  properties(hash: string): Promise<Record<string, unknown> | null>;
  delete(hash: string, deleteFiles: boolean): Promise<void>;
  /** 5.x `torrents/start`, 4.x `torrents/resume`. */
  start(hash: string): Promise<void>;
  /** Asks the trackers for peers now (a seeding torrent that wants a file again has dropped them). */
  reannounce(hash: string): Promise<void>;
  /** 5.x `torrents/stop`, 4.x `torrents/pause`. */
  stop(hash: string): Promise<void>;
}

const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();

function check<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  if (validator.Check(value)) return value as Static<T>;
  const problems = validator
    .Errors(value)
    .slice(0, 3)
    .map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message}`)
    .join('; ');
  throw new ProviderError(
    'unknown',
    `qBittorrent sent an unexpected answer to ${what}: ${problems}`,
  );
}

/**
 * Whether `torrents/add` took the torrent: 4.x and 5.0 answer "Ok." or "Fails."; newer releases may
 * answer JSON counts instead (`success_count`, `added_torrent_ids`), read here too.
 */
export function addAccepted(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === 'Ok.') return true;
  if (!trimmed.startsWith('{')) return false;
  try {
    const answer = JSON.parse(trimmed) as { success_count?: unknown; added_torrent_ids?: unknown };
    if (typeof answer.success_count === 'number') return answer.success_count > 0;
    return Array.isArray(answer.added_torrent_ids) && answer.added_torrent_ids.length > 0;
  } catch {
    return false;
  }
}

interface Reply {
  status: number;
  text: string;
}

export function createQbittorrentApi(settings: QbittorrentSettings): QbittorrentApi {
  const base = `${settings.url}/api/v2`;
  let cookie: string | null = null;
  let loggingIn: Promise<void> | null = null;

  const unavailable = (message: string) => providerUnavailable(PROVIDER_NAME, message);

  async function readCapped(response: Response, what: string): Promise<string> {
    const limit = settings.maxResponseBytes;
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    const tooLarge = () =>
      new ProviderError(
        'unknown',
        `qBittorrent's answer to ${what} is larger than the ${limit}-byte limit; refused`,
        response.status,
      );
    if (Number.isFinite(declared) && declared > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (response.body === null) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  }

  /** One HTTP exchange, deadline over the body too; transport failures → provider unavailable. */
  async function exchange(
    route: string,
    body: URLSearchParams | FormData | undefined,
    withCookie: boolean,
  ): Promise<Reply & { headers: Headers }> {
    const signal = AbortSignal.timeout(settings.requestTimeoutMs);
    const headers: Record<string, string> = { Referer: settings.url };
    if (withCookie && cookie) headers.Cookie = cookie;
    try {
      const response = await (settings.fetch ?? fetch)(`${base}/${route}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body,
        signal,
        redirect: 'error',
      });
      const text = await readCapped(response, route.split('?')[0] ?? route);
      return { status: response.status, text, headers: response.headers };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const timedOut = signal.aborted;
      throw unavailable(
        timedOut
          ? `qBittorrent at ${settings.url} did not answer ${route.split('?')[0]} within ${settings.requestTimeoutMs} ms`
          : `qBittorrent at ${settings.url} is unreachable: ${(error as Error).cause ?? (error as Error).message}`,
      );
    }
  }

  async function login(): Promise<void> {
    const form = new URLSearchParams({ username: settings.username, password: settings.password });
    const reply = await exchange('auth/login', form, false);
    if (reply.status === 403) {
      throw unavailable(
        `qBittorrent at ${settings.url} refuses logins from SoulSpot for now (too many failed attempts: its IP ban)`,
      );
    }
    const sid = /(?:^|,\s*)(SID=[^;]+)/.exec(reply.headers.get('set-cookie') ?? '')?.[1];
    if (reply.status !== 200 || reply.text.trim() !== 'Ok.' || !sid) {
      if (reply.text.trim() === 'Ok.' && !sid) {
        // LocalHostAuth off / a whitelisted subnet: every call passes without a session.
        cookie = null;
        return;
      }
      throw unavailable(
        `qBittorrent at ${settings.url} refused the login of user "${settings.username}": wrong username or password`,
      );
    }
    cookie = sid;
  }

  /** A call with the session; a 403 means the session is gone: log in again, once. */
  async function call(
    route: string,
    body?: URLSearchParams | FormData,
    accept: readonly number[] = [],
  ): Promise<Reply> {
    if (cookie === null) await (loggingIn ??= login().finally(() => (loggingIn = null)));
    let reply = await exchange(route, body, true);
    if (reply.status === 403) {
      await (loggingIn ??= login().finally(() => (loggingIn = null)));
      reply = await exchange(route, body, true);
    }
    if (reply.status === 200 || accept.includes(reply.status)) return reply;
    const name = route.split('?')[0];
    if (reply.status === 403) {
      throw unavailable(`qBittorrent at ${settings.url} refused ${name} after a fresh login (403)`);
    }
    throw new ProviderError(
      reply.status >= 500 ? unavailableCode() : 'unknown',
      `qBittorrent answered ${name} with HTTP ${reply.status}: ${reply.text.slice(0, 200)}`,
      reply.status,
    );
  }
  const unavailableCode = () => unavailable('').code;

  function json(reply: Reply, what: string): unknown {
    try {
      return JSON.parse(reply.text) as unknown;
    } catch {
      throw new ProviderError('unknown', `qBittorrent's answer to ${what} is not JSON`);
    }
  }

  const form = (fields: Record<string, string>) => new URLSearchParams(fields);

  /** 5.x name first; a 404 means a 4.x, which has the old name. */
  async function either(newer: string, older: string, hash: string): Promise<void> {
    const reply = await call(`torrents/${newer}`, form({ hashes: hash }), [404]);
    if (reply.status === 404) await call(`torrents/${older}`, form({ hashes: hash }));
  }

  return {
    login,
    async version() {
      return (await call('app/version')).text.trim();
    },
    async webapiVersion() {
      return (await call('app/webapiVersion')).text.trim();
    },
    async defaultSavePath() {
      return (await call('app/defaultSavePath')).text.trim();
    },
    async add(t) {
      const body = new FormData();
      if (t.torrent) body.append('torrents', new Blob([t.torrent]), 'release.torrent');
      if (t.url) body.append('urls', t.url);
      body.append('category', t.category);
      if (t.savePath !== undefined) body.append('savepath', t.savePath);
      if (t.tags.length > 0) body.append('tags', t.tags.join(','));
      if (t.stopped) {
        body.append('paused', 'true');
        body.append('stopped', 'true');
      }
      // 415: not a valid torrent file (4.5 and later).
      const reply = await call('torrents/add', body, [415]);
      if (reply.status === 415) {
        throw new ProviderError(
          'invalid_file',
          `qBittorrent refused the torrent: ${reply.text.slice(0, 200)}`,
        );
      }
      return addAccepted(reply.text);
    },
    async info(filter) {
      const params = new URLSearchParams();
      if (filter.category !== undefined) params.set('category', filter.category);
      if (filter.hashes) params.set('hashes', filter.hashes.join('|'));
      const reply = await call(`torrents/info?${params.toString()}`);
      return check(InfoListSchema, json(reply, 'torrents/info'), 'torrents/info');
    },
    async files(hash) {
      const reply = await call(`torrents/files?hash=${encodeURIComponent(hash)}`, undefined, [404]);
      if (reply.status === 404) return null;
      const list = check(FileListSchema, json(reply, 'torrents/files'), 'torrents/files');
      return list.map((f, i) => ({ ...f, index: f.index ?? i }));
    },
    async filePriority(hash, indexes, priority) {
      if (indexes.length === 0) return;
      await call(
        'torrents/filePrio',
        form({ hash, id: indexes.join('|'), priority: String(priority) }),
      );
    },
    async addTags(hash, tags) {
      if (tags.length > 0)
        await call('torrents/addTags', form({ hashes: hash, tags: tags.join(',') }));
    },
    async removeTags(hash, tags) {
      if (tags.length > 0) {
        await call('torrents/removeTags', form({ hashes: hash, tags: tags.join(',') }));
      }
    },
    async properties(hash) {
      const reply = await call(
        `torrents/properties?hash=${encodeURIComponent(hash)}`,
        undefined,
        [404],
      );
      if (reply.status === 404) return null;
      return json(reply, 'torrents/properties') as Record<string, unknown>;
    },
    async delete(hash, deleteFiles) {
      await call('torrents/delete', form({ hashes: hash, deleteFiles: String(deleteFiles) }));
    },
    start: (hash) => either('start', 'resume', hash),
    async reannounce(hash) {
      await call('torrents/reannounce', form({ hashes: hash }));
    },
    stop: (hash) => either('stop', 'pause', hash),
  };
}
