import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import type { Config } from './config/config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { pipelineConfig, type PipelineDeps } from './downloads/download.job.js';
import { runDownload } from './downloads/download.pipeline.js';
import { createBlocklistService, type BlocklistService } from './blocklist/blocklist.service.js';
import { createDownloadRepository } from './downloads/download.repository.js';
import { createDownloadsService, type DownloadsService } from './downloads/downloads.service.js';
import { createOrphanSweep } from './downloads/orphan-sweep.js';
import { createPrefetcher } from './downloads/prefetch.js';
import { createPrefetchRepository } from './downloads/prefetch.repository.js';
import { createTransferMonitor, type TransferMonitor } from './downloads/transfer-monitor.js';
import { createEventBridge } from './events/event-bridge.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { createEventLog, type EventLog, type EventLogOptions } from './events/event-log.js';
import { createSseBroker } from './events/sse.broker.js';
import { buildApp, type App } from './http/app.js';
import { createSearchService } from './search/search.service.js';
import { createSearchSlots } from './search/search-slots.js';
import { createSourcePickRepository } from './downloads/source-pick.repository.js';
import { createSourcePickService } from './downloads/source-pick.service.js';
import { createLogger } from './log/logger.js';
import { urlPasswords } from './log/redact.js';
import { createFilingRepository } from './downloads/filing.repository.js';
import { removeStaleTempFiles } from './library/move.js';
import { createSweeper, type Sweeper } from './library/sweep.js';
import { createDiskWatcher } from './library/disk-watcher.js';
import { createTranscodeChecker } from './library/transcode-check.js';
import { withCircuitBreaker } from './providers/circuit-breaker.js';
import { createHealthMonitor, healthBoard } from './providers/health-monitor.js';
import type { DownloadProvider } from './providers/provider.js';
import { configuredProviders } from './providers/configured.js';
import { knownIndexerIdsOf, type ProviderSet } from './providers/provider-set.js';
import { createLiveProviderSet, type MemberSpec } from './providers/live-provider-set.js';
import { createSecretStore } from './log/redact.js';
import { createSourcesRepository } from './sources/sources.repository.js';
import { createLiveSources } from './sources/sources.live.js';
import { createSourcesService } from './sources/sources.service.js';
import { environmentSources } from './sources/sources.env.js';
import { createSlskdProvider } from './providers/slskd/slskd.provider.js';
import { slskdSettings } from './providers/slskd/slskd.settings.js';
import { createQueueRepository } from './queue/queue.repository.js';
import { createRunner, type Runner } from './queue/runner.js';
import { wakeDueRetries } from './queue/retry-wake.js';
import { createRetryWakeRepository } from './queue/retry-wake.repository.js';
import { createSourceWaitRepository } from './queue/source-wait.repository.js';
import { createSourceWatch } from './queue/source-watch.js';
import { defaultSettings } from './settings/settings.definitions.js';
import { createSettingsRepository } from './settings/settings.repository.js';
import { createQueueControlRepository } from './downloads/queue-control.repository.js';
import {
  createQueueControlService,
  type QueueControlService,
} from './downloads/queue-control.service.js';
import { createSettingsService, type SettingsService } from './settings/settings.service.js';
import { createQualityProfileService } from './quality-profiles/quality-profiles.service.js';
import { createAlbumsRepository } from './albums/albums.repository.js';
import { createAlbumsService } from './albums/albums.service.js';
import { createAlbumTracker } from './albums/album-tracker.js';
import { createTagger, tagWorkersFor, type Tagger } from './library/tagging/tagger.js';
import {
  setUpNotifications,
  type NotificationsSetup,
} from './notifications/notifications.setup.js';
import { createSlskdApi } from './providers/slskd/slskd.api.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createClockRepository } from './health/clock.repository.js';
import {
  createHealthChecks,
  type HealthChecks,
  type HealthChecksDeps,
} from './health/health-checks.service.js';
import { createBackupService, type BackupService } from './backup/backup.service.js';
import { createStatsRepository } from './stats/stats.repository.js';
import { createStatsService, type StatsService } from './stats/stats.service.js';
import { createExportRepository } from './export/export.repository.js';
import { createSessionRepository } from './session/session.repository.js';
import { createSessionService } from './session/session.service.js';
import { createExportService } from './export/export.service.js';
import { createLidarr } from './lidarr/lidarr.setup.js';
import { setUpFeeds } from './feeds/feeds.setup.js';

export interface SoulSpot {
  url: string;
  app: App;
  db: DatabaseHandle;
  bus: EventBus;
  /** The durable event log: what SSE serves, and `onAppended` for changes made by any process. */
  events: EventLog;
  downloads: DownloadsService;
  blocklist: BlocklistService;
  runner: Runner;
  settings: SettingsService;
  queueControl: QueueControlService;
  monitor: TransferMonitor;
  /** Every configured provider, routed by id (providers/provider-set.ts). */
  provider: ProviderSet;
  log: PinoLogger;
  /** Sweeps what a crash can orphan (library temp files, downloads no download claims). */
  sweeper: Sweeper;
  /** Notification targets, the outbox and the job runner that delivers it. */
  notifications: NotificationsSetup;
  /** The Prometheus metrics served at /metrics. */
  metrics: Metrics;
  /** The health checks of /api/health. */
  healthChecks: HealthChecks;
  backups: BackupService;
  /** Statistics (GET /api/stats); `fold()` rolls the pending deltas up now. */
  stats: StatsService;
  /** Stops taking work, hands running downloads back to the queue and closes everything. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Replaces the slskd adapter (benchmarks wrap it to count calls). */
  provider?: DownloadProvider;
  /** Do not listen on a port (tests drive the API with inject()). */
  listen?: boolean;
  logger?: PinoLogger;
  /** Set false to serve the API without working the queue (benchmarks of the API alone). */
  runWorkers?: boolean;
  onQuery?: () => void;
  /** false: every accepted download is a commit of its own (the benchmark's baseline). */
  groupCommit?: boolean;
  /** Event log timers and limits (tests shorten or switch off the safety poll). */
  events?: Pick<EventLogOptions, 'pollMs' | 'trimEveryMs' | 'retention'>;
  /**
   * Health-check options: tests inject a statfs or shorten the cache; `notifications` is where the
   * notification targets' state is wired in (no such check without it).
   */
  health?: Pick<
    HealthChecksDeps,
    'freeBytes' | 'cacheMs' | 'heartbeatMs' | 'notifications' | 'probeTimeoutMs'
  >;
  /** Deliveries waiting in the notification outbox, for `soulspot_outbox_backlog` (default: the outbox's own count). */
  outboxBacklog?: () => Promise<number>;
  /** Replaces the tag writer (tests hold filing at it to see what goes on meanwhile). */
  tagger?: Tagger;
  /** The built web UI served at `/` (default: the repository's `web/dist`). */
  webDist?: string;
  /** Where the process logger writes (tests read it; default stdout). Ignored with `logger`. */
  logDestination?: DestinationStream;
}

/**
 * The repository's `web/dist`: this module is `src/main.ts` from source and `dist/src/main.js`
 * built (`npm start`), one folder deeper.
 */
const DEFAULT_WEB_DIST = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../web/dist' : '../../web/dist', import.meta.url),
);

/** Statuses of a download whose lease was given back: a slot may be free, work may be due. */
// `processing`: a transfer done there gave its transfer slot back and has a filing to claim.
const WAKING_STATUSES = new Set(['waiting', 'processing', 'completed', 'failed', 'cancelled']);

/** How often the orphan sweep runs (it also runs at start). */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/** The composition root: config → database → services → HTTP and workers. */
export async function startSoulSpot(config: Config, options: StartOptions = {}): Promise<SoulSpot> {
  // Built (no I/O) before the logger, which must know their secrets.
  const extraProviders = configuredProviders(config.indexers, config.downloadClients);
  // Secrets of sources added through the API join it as they come (src/sources).
  const secretStore = createSecretStore([]);
  const log =
    options.logger ??
    createLogger({
      level: config.logLevel,
      store: secretStore,
      ...(options.logDestination ? { destination: options.logDestination } : {}),
      secrets: [
        ...extraProviders.flatMap((p) => p.secrets),
        config.apiKey,
        config.slskdApiKey,
        config.metricsKey ?? undefined,
        config.lidarrApiKey ?? undefined,
        ...urlPasswords([config.databaseUrl, config.slskdUrl]),
      ],
    });
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.libraryDir, { recursive: true });
  const db = await openDatabase({
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, 'soulspot.db'),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
  // One SQLite instance owns its library, so every leftover temp file is from its own crash; with a
  // shared PostgreSQL another process may be mid-move, so only old ones go.
  const leftovers = await removeStaleTempFiles(
    config.libraryDir,
    config.databaseUrl ? {} : { olderThanMs: 0 },
  );
  if (leftovers > 0) log.info({ leftovers }, 'removed partial files left by an interrupted move');

  const now = (): number => Date.now();
  const settings = createSettingsService({
    repo: createSettingsRepository(db),
    defaults: defaultSettings(config),
    now,
    log,
  });
  await settings.load();
  const bus = createEventBus();
  const events = createEventLog({ handle: db, now, log, ...options.events });
  await events.start();
  const owner = instanceId(config.dataDir);
  // Registered before anything appends: every event from here on writes its deliveries with it.
  const notifications = setUpNotifications({
    handle: db,
    events,
    settings,
    owner,
    leaseMs: config.leaseMs,
    now,
    log,
  });
  // Download events are appended inside the transaction of the write they report (services and
  // workers alike); the bridge copies only the provider's health and circuit changes from the bus,
  // which have no transaction. SSE is served from the log.
  const bridge = createEventBridge({ bus, events, handle: db, log });
  const broker = createSseBroker({ events, log });
  const control = createQueueControlRepository(db);
  // The gauges read these on scrape (after start: everything they name exists by then).
  const metrics = createMetrics({
    queueDepth: () => control.countsByStatusAndHold(),
    transfers: () => monitor.activity(),
    providers: () =>
      live.members().map((m) => ({
        provider: m.adapter.name,
        circuit: m.adapter.circuit,
        state: m.monitor.current.state,
      })),
    outboxBacklog: options.outboxBacklog ?? (() => notifications.backlog()),
    filingBacklog: () => control.filingBacklog(now()),
    onError: (what, error) => log.warn({ what, error: String(error) }, 'metrics read failed'),
  });
  const slskd = slskdSettings({
    url: config.slskdUrl,
    apiKey: config.slskdApiKey,
    downloadsDir: config.slskdDownloadsDir,
  });
  // The configured providers and the roles each plays (docs/architecture.md, "Providers: indexers
  // and download clients", "The live provider set"). Each is guarded by its own circuit breaker and
  // probed by its own health monitor; the generic code sees only the set, which routes by provider
  // id. slskd and the environment's providers are fixed; the API's come and go (src/sources).
  const slskdAdapter =
    options.provider ??
    createSlskdProvider(slskd, createSlskdApi(slskd, { observe: (o) => metrics.observeSlskd(o) }));
  const fixed: MemberSpec[] = [
    { key: 'fixed:slskd', indexer: true, client: true, make: () => slskdAdapter },
    // Indexers in the configured order after slskd: a profile's `providers` reorders them.
    ...extraProviders.map((p) => ({
      key: `fixed:${p.adapter.name}`,
      indexer: p.indexer,
      client: p.client,
      make: () => p.adapter,
    })),
  ];
  const live = createLiveProviderSet({
    specs: fixed,
    guard: (adapter) =>
      withCircuitBreaker(adapter, {
        threshold: config.circuitThreshold,
        halfOpenAfterMs: config.circuitHalfOpenMs,
        bus,
      }),
    // The health probe is also the circuit's half-open probe, so it runs at least that often.
    monitor: (adapter) =>
      createHealthMonitor({
        provider: adapter,
        bus,
        log,
        intervalMs: Math.min(Math.max(1000, config.pollIntervalMs * 2), config.circuitHalfOpenMs),
      }),
  });
  const sourcesRepo = createSourcesRepository(db);
  const liveSources = createLiveSources({
    repo: sourcesRepo,
    live,
    fixed,
    secret: (value) => secretStore.add([value]),
    log,
  });
  await liveSources.refresh();
  const provider = live.set;
  const repo = createDownloadRepository(db);
  const queue = createQueueRepository(db);
  const monitor = createTransferMonitor({ provider, pollIntervalMs: config.pollIntervalMs });
  const health = healthBoard(() => live.members().map((m) => m.monitor));
  const sources = createSourcesService({
    repo: sourcesRepo,
    events,
    // Called only on a source write, long after start: the tracker is made further down.
    albumsChanged: (tx, ids) => albumTracker.albumsChanged(tx, ids),
    environment: environmentSources(config.indexers, config.downloadClients),
    health: (id) => {
      const member = live.members().find((m) => m.adapter.name === id);
      if (!member) return undefined;
      const h = member.monitor.current;
      const detail = member.monitor.detail ?? h.message;
      return {
        state: h.state,
        circuit: member.adapter.circuit,
        ...(detail !== undefined ? { lastError: secretStore.scrub(detail) } : {}),
        ...(h.checkedAt !== null ? { lastCheckedAt: h.checkedAt } : {}),
      };
    },
    applied: () => liveSources.refresh(),
    secret: (value) => secretStore.add([value]),
    log,
    now,
  });

  const blocklist = createBlocklistService({
    handle: db,
    bus,
    now,
    // An entry names one of these (the API refuses others).
    providers: () => provider.ids,
    // Getters: the blocklist reads these at each use, so a changed setting applies at once.
    settings: {
      get failureThreshold() {
        return settings.get('blocklistFailures');
      },
      get windowMs() {
        return settings.get('blocklistWindowHours') * 3_600_000;
      },
      get blockMs() {
        return settings.get('blocklistDays') * 86_400_000;
      },
    },
    log,
  });
  const stopBlocklist = blocklist.start();

  const sourceWait = createSourceWaitRepository(db);
  // The fake-lossless check at filing; without ffmpeg it reports itself unavailable in /api/health.
  const transcode = createTranscodeChecker({ ffmpegPath: config.ffmpegPath });
  void transcode.availability().then(({ available, message }) => {
    if (!available) log.warn({ ffmpeg: config.ffmpegPath }, message);
  });
  // Searches rank with each download's profile, read at each search (an edit applies to the next).
  const qualityProfiles = createQualityProfileService({
    handle: db,
    now,
    events,
    indexerIds: () => provider.indexerIds,
  });
  const albumsRepo = createAlbumsRepository(db.db);
  // Tags are written in worker threads, started as files need them: one per filing slot (the live
  // setting), up to the cores.
  const tagger =
    options.tagger ??
    createTagger({ workers: () => tagWorkersFor(settings.get('maxConcurrentFiling')) });
  // An album track's status change announces the album (album.completed once) in its write: the
  // worker's, and a command's (cancel, retry, remove of the track alone or in a batch).
  const albumTracker = createAlbumTracker({ repo: albumsRepo, now });
  const deps: PipelineDeps = {
    config: pipelineConfig(config),
    settings,
    handle: db,
    repo,
    queue,
    sourceWait,
    provider,
    monitor,
    events,
    bus,
    log,
    now,
    deferMs: Math.max(1000, Math.min(30_000, config.pollIntervalMs * 5)),
    sources: blocklist,
    profiles: qualityProfiles,
    transcode,
    albums: albumTracker,
    tagger,
  };
  const retries = createRetryWakeRepository(db);
  const runner = createRunner({
    queue,
    owner,
    maxConcurrent: () => settings.get('maxConcurrent'),
    maxConcurrentFiling: () => settings.get('maxConcurrentFiling'),
    maxFilingBacklog: () => settings.get('maxFilingBacklog'),
    leaseMs: config.leaseMs,
    now,
    // A claim uses up a search done ahead and an end frees a slot: the prefetcher looks again.
    run: async (lease, signal, released) => {
      prefetch.kick();
      try {
        // A filing claim has its file: no search of its own to wait for.
        if (lease.pool === 'transfer') await prefetch.settle(lease, signal);
        await runDownload(deps, lease, signal, () => {
          released();
          prefetch.kick();
        });
      } finally {
        prefetch.kick();
      }
    },
    // Nothing new starts while every provider's circuit is open (slskd's, so far), the queue is
    // paused or outside the time windows.
    canClaim: () => mayStart(),
    // Filing starts no transfer: a pause or a closed window lets it go on (the circuit does not:
    // finding slskd's file asks slskd).
    canClaimFiling: () => provider.circuit !== 'open',
    onError: (error) => log.error({ error: String(error) }, 'queue error'),
    wakeRetries: (t) => wakeDueRetries({ handle: db, retries, events, now: t }),
  });
  const mayStart = (): boolean => provider.circuit !== 'open' && queueControl.mayStart();
  // Searches the next downloads ahead when slots are about to free (docs: "Slot refill").
  // Manual and album searches share one bound, and the prefetcher gives way to them.
  const searchSlots = createSearchSlots();
  const prefetch = createPrefetcher({
    repo: createPrefetchRepository(db),
    provider,
    settings,
    sources: blocklist,
    profiles: qualityProfiles,
    mayStart,
    activeJobs: () => runner.activeCount,
    endingWithin: (ms) => monitor.endingWithin(ms),
    followed: () => monitor.followed,
    handSearches: () => searchSlots.running,
    pollIntervalMs: config.pollIntervalMs,
    now,
    log,
  });
  const queueControl = createQueueControlService({
    handle: db,
    control,
    settings,
    events,
    now,
    log,
    runner,
    // The orphan sweep is defined below; a command calls this only once everything runs.
    sweepTransfers: () => void orphans.sweep(),
    albums: albumTracker,
  });
  const sourcePick = createSourcePickService({
    handle: db,
    picks: createSourcePickRepository(db),
    repo,
    events,
    provider,
    now,
    log,
    runner,
  });
  const search = createSearchService({
    provider,
    settings,
    profiles: qualityProfiles,
    sources: blocklist,
    now,
    pollMs: Math.min(200, config.pollIntervalMs),
    slots: searchSlots,
  });
  const downloads = createDownloadsService({
    handle: db,
    repo,
    events,
    provider,
    // A getter: each new download takes the setting in force when it is accepted.
    get maxRetries() {
      return settings.get('maxRetries');
    },
    maxQueueSize: () => settings.get('maxQueueSize'),
    ...(options.groupCommit !== undefined ? { groupCommit: options.groupCommit } : {}),
    now,
    log,
    runner,
    scheduled: () => queueControl.wakeScheduler(),
    profiles: qualityProfiles,
    picks: sourcePick,
    albums: albumTracker,
  });
  const albums = createAlbumsService({
    handle: db,
    repo: albumsRepo,
    tracker: albumTracker,
    downloadsRepo: repo,
    downloads,
    events,
    provider,
    profiles: qualityProfiles,
    sources: blocklist,
    settings,
    maxRetries: () => settings.get('maxRetries'),
    maxQueueSize: () => settings.get('maxQueueSize'),
    now,
    log,
    runner,
    searchSlots,
    owner: instanceId(config.dataDir),
  });
  // RSS/Atom feeds and the watchlist: a match becomes an album or track download through the
  // ordinary accept paths (src/feeds).
  const feeds = setUpFeeds({
    handle: db,
    targets: { albums, downloads: { create: (request) => downloads.create(request) } },
    profiles: qualityProfiles,
    // A rule's provider is the indexer its downloads search first: only an indexer can be (one
    // switched off too: its preference applies again once it is on).
    providers: () => knownIndexerIdsOf(provider),
    owner,
    now,
    log,
  });
  const healthChecks = createHealthChecks({
    handle: db,
    // The slskd check reads slskd's own monitor (the first configured provider); a check per
    // provider comes with the second one (issue 11).
    provider: () => {
      const slskdMonitor = live.members()[0]!.monitor;
      return { name: slskdMonitor.name, ...slskdMonitor.current };
    },
    downloadsRoot: () => provider.downloadsRoot(),
    downloadsDirOverridden: config.slskdDownloadsDir !== undefined,
    libraryDir: config.libraryDir,
    minFreeBytes: config.minFreeBytes,
    ffmpeg: () => transcode.availability(),
    clocks: { repo: createClockRepository(db), owner },
    queueCounts: () => downloads.counts(),
    notifications: () => notifications.health(),
    log,
    ...options.health,
  });
  const backups = createBackupService({
    dataDir: config.dataDir,
    handle: db,
    databaseUrl: config.databaseUrl,
    settings: () => settings.current(),
    retention: () => settings.get('backupRetention'),
  });
  const backupLeftovers = await backups.sweep();
  if (backupLeftovers > 0)
    log.info({ leftovers: backupLeftovers }, 'removed backups left half-made by a crash');
  const offAttempts = bus.on('attempt.finished', (a) => metrics.observeAttempt(a));
  const offObserved = events.onAppended((e) => {
    metrics.observeEvent(e);
    healthChecks.observe(e);
  });
  const stats = createStatsService({ repo: createStatsRepository(db), log });
  const exports = createExportService({ repo: createExportRepository(db) });
  // Web UI logins live in the database: every process sharing it accepts the same cookie.
  const sessions = createSessionService({
    repo: createSessionRepository(db),
    apiKey: config.apiKey,
    now,
  });
  // Lidarr both ways: its SABnzbd and Newznab endpoints, and the wanted-list sync (src/lidarr).
  const lidarr = createLidarr({
    handle: db,
    albums,
    search,
    apiKey: config.apiKey,
    libraryDir: config.libraryDir,
    settings,
    now,
    log,
  });
  const offLidarr = events.onAppended((e) => {
    if (e.type === 'album.completed') void lidarr.sync.albumFinished();
  });
  const app = await buildApp({
    lidarr,
    apiKey: config.apiKey,
    sessions,
    webDist: options.webDist ?? DEFAULT_WEB_DIST,
    trustProxy: config.trustProxy,
    downloads,
    blocklist,
    health,
    broker,
    settings,
    queueControl,
    qualityProfiles,
    search,
    sourcePick,
    transcode,
    albums,
    notifications: notifications.service,
    healthChecks,
    metrics,
    metricsKey: config.metricsKey,
    backups,
    log,
    stats,
    exports,
    feeds: feeds.service,
    sources,
  });
  // Parked downloads (waiting in a peer's queue, no runner slot) are followed from the monitor's
  // list; one that moves, ends or stalls is claimed next.
  const sourceWatch = createSourceWatch({
    repo: sourceWait,
    handle: db,
    events,
    transfers: (maxAgeMs) => monitor.latest(maxAgeMs),
    pollIntervalMs: config.pollIntervalMs,
    stallTimeoutMs: () => settings.get('stallTimeoutSeconds') * 1000,
    now,
    onReady: () => runner.wake(),
    onError: (error) => log.warn({ error: String(error) }, 'source watch failed'),
  });
  // A raised limit fills the new slots now, not at the next job's end.
  const offSettings = settings.onChange(() => runner.wake());
  const heartbeat = setInterval(() => broker.heartbeat(), 15_000);
  // A download that became claimable through another process (created, retried there), or a slot
  // another process gave back (a download ended there), is taken up here at once, not at this
  // runner's next idle look. A wake that finds nothing due, or no free slot, costs a query.
  const offWaiting = events.onAppended((e) => {
    if (e.type === 'download.updated' && WAKING_STATUSES.has(e.payload.status)) runner.wake();
  });
  // Transfers at slskd that no download follows (a cancel made while slskd was down, a crash) are
  // cancelled at start, when slskd is back, and every 30 polls (at least 3 s, at most 10 min).
  const orphans = createOrphanSweep({
    provider,
    repo,
    log,
    intervalMs: Math.min(600_000, Math.max(3_000, config.pollIntervalMs * 30)),
  });
  // When slskd is back, downloads that were waiting for it go at once, not at their next probe.
  const offCircuit = bus.on('provider.circuit', ({ circuit }) => {
    if (circuit !== 'closed') return;
    void repo.hurryDeferred(now()).then(() => runner.wake());
    if (options.runWorkers !== false) void orphans.sweep();
  });
  const diskWatcher = createDiskWatcher({
    libraryDir: config.libraryDir,
    minFreeBytes: config.minFreeBytes,
    intervalMs: config.diskCheckIntervalMs,
    resume: (free) => downloads.resumeLocalFaults(free, config.minFreeBytes),
    waiting: async () =>
      (await repo.failedWithCodes(['disk_full', 'permission_denied'])).length > 0,
    onError: (error) => log.warn({ error: String(error) }, 'disk check failed'),
    lowBytes: () => settings.get('diskLowMb') * 1_048_576,
    onLow: (freeBytes, thresholdBytes) =>
      bus.emit('disk.low', { path: config.libraryDir, freeBytes, thresholdBytes }),
  });

  const filing = createFilingRepository(db);
  const sweeper = createSweeper({
    libraryDir: config.libraryDir,
    downloadsRoot: () => provider.downloadsRoot().catch(() => null),
    recordedFiles: () => filing.recordedFiles(),
    intervalMs: SWEEP_INTERVAL_MS,
    tempOlderThanMs: SWEEP_INTERVAL_MS,
    onReport: ({ tempFilesRemoved, unclaimed, removed }) => {
      if (tempFilesRemoved + unclaimed.length + removed.length === 0) return;
      log.info(
        {
          tempFilesRemoved,
          removed: removed.length,
          unclaimed: unclaimed.length,
          unclaimedExamples: unclaimed.slice(0, 5),
        },
        'swept orphaned files (unclaimed files in the downloads folder are only reported)',
      );
    },
    onError: (error) => log.warn({ error: String(error) }, 'sweep failed'),
  });

  healthChecks.start();
  live.start();
  liveSources.start();
  settings.start();
  const stopStats = stats.start();
  if (options.runWorkers !== false) {
    await runner.start();
    prefetch.start();
    sourceWatch.start();
    diskWatcher.start();
    sweeper.start();
    orphans.start();
    // Album folder searches a crash or a stop left pending, then every few seconds (album-search.ts).
    await albums.recover();
    queueControl.startScheduler();
    await notifications.start();
    lidarr.start();
    await feeds.start();
  }
  let url = '';
  if (options.listen !== false) {
    url = await app.listen({ host: config.host, port: config.port });
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    app,
    db,
    bus,
    events,
    downloads,
    blocklist,
    runner,
    settings,
    queueControl,
    monitor,
    provider,
    log,
    sweeper,
    notifications,
    metrics,
    healthChecks,
    backups,
    stats,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(heartbeat);
        lidarr.stop();
        offLidarr();
        healthChecks.stop();
        offAttempts();
        offObserved();
        offCircuit();
        offSettings();
        settings.stop();
        offWaiting();
        queueControl.stopScheduler();
        diskWatcher.stop();
        await sweeper.stop();
        liveSources.stop();
        live.stop();
        await sourceWatch.stop();
        await prefetch.stop();
        await runner.stop();
        await feeds.stop();
        await notifications.stop();
        await albums.stop();
        await transcode.close();
        await orphans.stop();
        monitor.stop();
        await tagger.close();
        // Streams end first (an open one would hold app.close), then the API finishes its requests,
        // then everything emitted is committed to the log: a client that reconnects, here after a
        // restart or to another process, replays it from there.
        broker.close();
        await app.close();
        await bridge.stop();
        await events.stop();
        stopBlocklist();
        await stopStats();
        await db.close();
      })()),
  };
}

/**
 * A stable id for this installation, kept in the data dir. Leases carry it, so after a crash the
 * restarted instance knows which leases were its own and takes them back at once.
 */
function instanceId(dataDir: string): string {
  const file = path.join(dataDir, 'instance-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(file, `${id}\n`);
  return id;
}
