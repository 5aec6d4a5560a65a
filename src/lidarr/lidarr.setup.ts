import type { FastifyInstance } from 'fastify';
import type { AlbumsService } from '../albums/albums.service.js';
import type { PathMapping } from '../providers/path-mapping.js';
import type { SearchService } from '../search/search.service.js';
import type { DatabaseHandle } from '../db/database.js';
import { createLidarrApi, type LidarrApi, type LidarrApiOptions } from './lidarr.api.js';
import { createLidarrRepository } from './lidarr.repository.js';
import { lidarrSyncRoutes } from './lidarr.routes.js';
import { newznabRoutes } from './newznab.routes.js';
import { createNewznabService } from './newznab.service.js';
import { sabRoutes } from './sab.routes.js';
import { createSabService } from './sab.service.js';
import { createWantedSync } from './wanted-sync.service.js';

/** The settings the Lidarr feature reads, at each use (settings.definitions.ts). */
export interface LidarrSettings {
  lidarrUrl: string;
  lidarrApiKey: string;
  lidarrSyncMinutes: number;
  lidarrSyncCutoff: boolean;
  lidarrPathMappings: PathMapping[];
  queuePaused: boolean;
}

export interface LidarrDeps {
  handle: DatabaseHandle;
  albums: AlbumsService;
  search: SearchService;
  /** SoulSpot's API key: what Lidarr sends as `apikey`, and what NZBs are signed with. */
  apiKey: string;
  libraryDir: string;
  settings: {
    get<K extends keyof LidarrSettings>(key: K): LidarrSettings[K];
    onChange(l: (changed: string[]) => void): () => void;
  };
  now: () => number;
  log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  /** Name resolution for the Lidarr URL (tests). */
  resolve?: LidarrApiOptions['resolve'];
  slotRetryMs?: number;
}

/**
 * Lidarr both ways (issue 12): the SABnzbd and Newznab endpoints Lidarr is pointed at, and the
 * wanted-list sync with its schedule. `routes` registers all three route sets; `start` arms the
 * schedule (every lidarrSyncMinutes, 0 = off) and the import on album.completed.
 */
export function createLidarr(deps: LidarrDeps) {
  const repo = createLidarrRepository(deps.handle);
  const mappings = () => deps.settings.get('lidarrPathMappings');
  const sab = createSabService({
    repo,
    albums: deps.albums,
    signingKey: deps.apiKey,
    libraryDir: deps.libraryDir,
    pathMappings: mappings,
    paused: () => deps.settings.get('queuePaused'),
    now: deps.now,
  });
  const newznab = createNewznabService({
    search: deps.search,
    signingKey: deps.apiKey,
    now: deps.now,
  });
  // One client per (URL, key) in force: a changed setting takes effect at the next call.
  let client: { url: string; key: string; api: LidarrApi } | null = null;
  const api = (): LidarrApi | null => {
    const url = deps.settings.get('lidarrUrl').trim();
    const key = deps.settings.get('lidarrApiKey').trim();
    if (!url || !key) return null;
    if (client?.url !== url || client.key !== key)
      client = {
        url,
        key,
        api: createLidarrApi({ url, apiKey: key }, deps.resolve ? { resolve: deps.resolve } : {}),
      };
    return client.api;
  };
  const sync = createWantedSync({
    repo,
    albums: deps.albums,
    api,
    includeCutoff: () => deps.settings.get('lidarrSyncCutoff'),
    libraryDir: deps.libraryDir,
    pathMappings: mappings,
    now: deps.now,
    log: deps.log,
    ...(deps.slotRetryMs !== undefined ? { slotRetryMs: deps.slotRetryMs } : {}),
  });

  let timer: NodeJS.Timeout | null = null;
  let offSettings: (() => void) | null = null;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const minutes = deps.settings.get('lidarrSyncMinutes');
    if (minutes <= 0) return;
    timer = setTimeout(() => {
      void (api() ? sync.run() : Promise.resolve()).finally(arm);
    }, minutes * 60_000);
    timer.unref();
  };

  return {
    sab,
    newznab,
    sync,
    async routes(app: FastifyInstance): Promise<void> {
      await app.register(sabRoutes({ sab, apiKey: deps.apiKey }));
      await app.register(newznabRoutes({ newznab, apiKey: deps.apiKey }));
      await app.register(lidarrSyncRoutes({ sync }));
    },
    start(): void {
      arm();
      offSettings = deps.settings.onChange((changed) => {
        if (changed.some((k) => k.startsWith('lidarr'))) arm();
      });
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      offSettings?.();
    },
  };
}

export type Lidarr = ReturnType<typeof createLidarr>;
