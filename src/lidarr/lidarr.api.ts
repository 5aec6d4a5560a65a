import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeFetch, SafeFetchError } from '../net/safe-fetch.js';

/**
 * Lidarr's HTTP API, the few calls the wanted-list sync makes (v1, `X-Api-Key`). Shapes from
 * Lidarr's resource classes (Lidarr.Api.V1: PagingResource, AlbumResource, ArtistResource,
 * TrackResource, CommandResource), only the fields read, each checked: a page that is not what
 * Lidarr sends is an error, not a silently empty wanted list.
 *
 * The URL is the user's, so it is fetched through safe-fetch (size and time limits, redirects
 * checked). Lidarr usually runs on the same host or LAN: the host the user configured is allowed
 * whatever its address class (an `allowedTargets` host entry), and only that host; a redirect
 * elsewhere is judged by the default public-only policy.
 */

const Artist = Type.Object({ artistName: Type.String() });
const Album = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  artistId: Type.Integer(),
  releaseDate: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  artist: Type.Optional(Type.Union([Artist, Type.Null()])),
});
const Page = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalRecords: Type.Integer(),
  records: Type.Array(Album),
});
const Track = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  /** A string in Lidarr ("1", "A1" on vinyl); absoluteTrackNumber is the number. */
  trackNumber: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  absoluteTrackNumber: Type.Integer(),
  mediumNumber: Type.Integer(),
  /** Milliseconds. */
  duration: Type.Integer(),
});
const Tracks = Type.Array(Track);
const Command = Type.Object({ id: Type.Integer(), name: Type.String() });

export type LidarrAlbum = Static<typeof Album>;
export type LidarrTrack = Static<typeof Track>;
export type LidarrPage = Static<typeof Page>;

export class LidarrApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LidarrApiError';
  }
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();
function check<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  let v = validators.get(schema);
  if (!v) {
    v = Compile(schema);
    validators.set(schema, v);
  }
  if (v.Check(value)) return value as Static<T>;
  const problems = v
    .Errors(value)
    .slice(0, 3)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
    .join('; ');
  throw new LidarrApiError(`Lidarr sent an unexpected answer to ${what}: ${problems}`);
}

export interface LidarrTarget {
  url: string;
  apiKey: string;
}

export interface LidarrApiOptions {
  timeoutMs?: number;
  /** Name resolution (tests); the system's by default. */
  resolve?: (host: string, signal: AbortSignal) => Promise<string[]>;
}

/**
 * The configured host (and port) is allowed whatever its address class: the user named it, and
 * Lidarr is usually on the LAN or this machine. Any other host is public-only.
 */
export function lidarrAddressPolicy(url: string): AddressPolicy {
  return { allowedTargets: [new URL(url).host], settingName: 'lidarrUrl' };
}

export function createLidarrApi(target: LidarrTarget, options: LidarrApiOptions = {}) {
  const base = target.url.replace(/\/+$/, '');
  const policy = lidarrAddressPolicy(base);

  async function call<T extends TSchema>(
    schema: T,
    method: 'GET' | 'POST',
    pathAndQuery: string,
    what: string,
    body?: unknown,
  ): Promise<Static<T>> {
    let response;
    try {
      response = await safeFetch(`${base}${pathAndQuery}`, {
        method,
        headers: {
          'x-api-key': target.apiKey,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        maxBytes: 20 * 1024 * 1024,
        timeoutMs: options.timeoutMs ?? 30_000,
        maxRedirects: 0,
        policy,
        ...(options.resolve ? { resolve: options.resolve } : {}),
      });
    } catch (error) {
      const reason = error instanceof SafeFetchError ? error.message : String(error);
      throw new LidarrApiError(`Lidarr could not be reached for ${what}: ${reason}`);
    }
    if (response.status === 401)
      throw new LidarrApiError(`Lidarr refused the API key (401) for ${what}`);
    if (response.status < 200 || response.status >= 300)
      throw new LidarrApiError(`Lidarr answered ${response.status} to ${what}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new LidarrApiError(`Lidarr's answer to ${what} is not JSON`);
    }
    return check(schema, parsed, what);
  }

  return {
    /** One page of `wanted/missing` (or `wanted/cutoff`), monitored albums, with their artist. */
    wanted(list: 'missing' | 'cutoff', page: number, pageSize: number): Promise<LidarrPage> {
      const q = new URLSearchParams({
        page: String(page),
        pageSize: String(pageSize),
        sortKey: 'releaseDate',
        sortDirection: 'descending',
        includeArtist: 'true',
        monitored: 'true',
      });
      return call(Page, 'GET', `/api/v1/wanted/${list}?${q}`, `wanted/${list} page ${page}`);
    },

    tracks(albumId: number): Promise<LidarrTrack[]> {
      return call(
        Tracks,
        'GET',
        `/api/v1/track?albumId=${albumId}`,
        `the tracks of album ${albumId}`,
      );
    },

    /** Asks Lidarr to import a finished folder (what Soularr does). */
    async downloadedAlbumsScan(folder: string): Promise<number> {
      const command = await call(Command, 'POST', '/api/v1/command', 'DownloadedAlbumsScan', {
        name: 'DownloadedAlbumsScan',
        path: folder,
      });
      return command.id;
    },
  };
}

export type LidarrApi = ReturnType<typeof createLidarrApi>;
