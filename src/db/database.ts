import { Kysely, Migrator, SqliteDialect, sql, type KyselyPlugin, type Migration } from 'kysely';
import type pg from 'pg';
import { ScopedPostgresDialect } from './pg-introspector.js';
import * as initial from './migrations/001_initial.js';
import * as blocklist from './migrations/002_blocklist.js';
import * as fractionalDuration from './migrations/003_fractional_duration.js';
import * as settings from './migrations/004_settings.js';
import * as events from './migrations/005_events.js';
import * as queueControl from './migrations/006_queue_control.js';
import * as sourceWait from './migrations/007_source_wait.js';
import * as listIndex from './migrations/008_list_index.js';
import * as queueSlots from './migrations/009_queue_slots.js';
import * as blocklistFileKey from './migrations/010_blocklist_file_key.js';
import * as qualityProfiles from './migrations/011_quality_profiles.js';
import * as downloadQualityProfile from './migrations/012_download_quality_profile.js';
import * as prefetchMarks from './migrations/013_prefetch_marks.js';
import * as transcodeCheck from './migrations/014_transcode_check.js';
import * as albums from './migrations/016_albums.js';
import * as albumBackground from './migrations/022_album_background.js';
import * as postProcessing from './migrations/015_post_processing.js';
import * as jobsNotifications from './migrations/018_jobs_notifications.js';
import * as processClocks from './migrations/023_process_clocks.js';
import * as providerSources from './migrations/019_provider_sources.js';
import * as filingSlots from './migrations/020_filing_slots.js';
import * as statistics from './migrations/017_statistics.js';
import * as sessions from './migrations/024_sessions.js';
import * as queueListIndex from './migrations/025_queue_list_index.js';
import * as lidarr from './migrations/027_lidarr.js';
import * as searchProvider from './migrations/028_search_provider.js';
import * as providerConfigs from './migrations/029_provider_configs.js';
import * as albumNamedFolder from './migrations/030_album_named_folder.js';
import * as lidarrSyncRuns from './migrations/031_lidarr_sync_runs.js';
import * as preferredProvider from './migrations/032_preferred_provider.js';
import * as failureDownload from './migrations/033_failure_download.js';
import * as preferredProviderIndex from './migrations/034_preferred_provider_index.js';
import * as retryPending from './migrations/035_retry_pending.js';
import * as feeds from './migrations/026_feeds.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /**
   * Runs fn in a write transaction. On SQLite it is BEGIN IMMEDIATE on the single connection, so the
   * write lock is taken up front and no transaction can fail half-way with SQLITE_BUSY.
   */
  writeTx<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * PostgreSQL only: a new connection outside the pool, not yet connected. LISTEN needs a session
   * of its own that stays open (a pooled client would be handed to other queries).
   */
  newConnection?: (applicationName: string) => pg.Client;
  /** PostgreSQL only: the schema this handle works in when not the default (tests use one each). */
  schema?: string;
  /**
   * SQLite only: copies the database into `file` (which must not exist) with SQLite's online
   * backup API: a consistent snapshot while writes go on (sqlite-backup.ts says how).
   */
  backupTo?: (file: string) => Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… or null for SQLite. */
  url: string | null;
  /** SQLite file path (used when url is null). */
  sqlitePath?: string;
  /** PostgreSQL schema to work in (tests use one per file); created if missing. */
  pgSchema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Called after every query (benchmarks count statements with it). */
  onQuery?: () => void;
}

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_blocklist': blocklist,
  '003_fractional_duration': fractionalDuration,
  '004_settings': settings,
  '005_events': events,
  '006_queue_control': queueControl,
  '007_source_wait': sourceWait,
  '008_list_index': listIndex,
  '009_queue_slots': queueSlots,
  '010_blocklist_file_key': blocklistFileKey,
  '011_quality_profiles': qualityProfiles,
  '012_download_quality_profile': downloadQualityProfile,
  '013_prefetch_marks': prefetchMarks,
  '014_transcode_check': transcodeCheck,
  '016_albums': albums,
  '015_post_processing': postProcessing,
  '018_jobs_notifications': jobsNotifications,
  '023_process_clocks': processClocks,
  '019_provider_sources': providerSources,
  '020_filing_slots': filingSlots,
  '022_album_background': albumBackground,
  '017_statistics': statistics,
  '024_sessions': sessions,
  '025_queue_list_index': queueListIndex,
  '027_lidarr': lidarr,
  '028_search_provider': searchProvider,
  '026_feeds': feeds,
  '029_provider_configs': providerConfigs,
  '030_album_named_folder': albumNamedFolder,
  '031_lidarr_sync_runs': lidarrSyncRuns,
  '032_preferred_provider': preferredProvider,
  '033_failure_download': failureDownload,
  '034_preferred_provider_index': preferredProviderIndex,
  '035_retry_pending': retryPending,
};

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const handle = options.url ? await openPostgres(options.url, options) : await openSqlite(options);
  await migrate(handle.db, options.url ? options.pgSchema : undefined);
  return handle;
}

/*
 * Each driver is loaded only when its database is opened: a process uses one, and the other's code
 * (pg with its protocol and types, about 15 MB resident) would only weigh on its memory.
 */

async function openSqlite(options: DatabaseOptions): Promise<DatabaseHandle> {
  const sqlitePath = options.sqlitePath;
  if (!sqlitePath) throw new Error('sqlitePath is required for SQLite');
  const { default: SqliteDatabase } = await import('better-sqlite3');
  const sqlite = new SqliteDatabase(sqlitePath);
  // WAL + FULL: an acknowledged write survives power loss, not only a process crash.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    plugins: plugins(options),
  });
  return {
    db,
    dialect: 'sqlite',
    writeTx: (fn) =>
      db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (error) {
          await sql`ROLLBACK`.execute(conn);
          throw error;
        }
      }),
    close: () => db.destroy(),
    backupTo: async (file) => {
      const { backupSqliteFile } = await import('./sqlite-backup.js');
      await backupSqliteFile(sqlitePath, file);
    },
  };
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  // BIGINT (int8) holds epoch-ms times and byte counts; both fit a JS number exactly.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
  };
  if (options.pgSchema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.pgSchema)) throw new Error('invalid schema name');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.pgSchema}`);
    await client.end();
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
  });
  // An idle client whose server connection ends (PostgreSQL restart, admin kill) emits 'error' on
  // the pool; unhandled, that would crash SoulSpot. The pool drops that client, and the next query
  // opens a new connection or fails with an error the caller handles.
  pool.on('error', () => undefined);
  // A checked-out client is not covered by the pool's handler: when the server ends its session
  // (the event log's idle-in-transaction timeout ends a transaction a stopped process left open),
  // its 'error' would crash the process when it resumes. The query in flight still fails, and the
  // pool discards the client; the caller sees an ordinary error (a lost lease, a retried write).
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({
    dialect: new ScopedPostgresDialect({ pool }),
    plugins: plugins(options),
  });
  return {
    db,
    dialect: 'postgres',
    writeTx: (fn) => db.transaction().execute(fn),
    close: () => db.destroy(),
    newConnection: (applicationName) =>
      new pg.Client({
        connectionString: url,
        types,
        application_name: applicationName,
        ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
      }),
    ...(options.pgSchema ? { schema: options.pgSchema } : {}),
  };
}

async function migrate(db: Db, schema: string | undefined): Promise<void> {
  const migrator = new Migrator({
    db,
    // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Branches number their migrations in parallel, so one may land after a higher number has
    // shipped (029_provider_configs after 030 and 031): it runs then instead of refusing to start.
    // Each migration only adds its own tables and columns, so the order they run in is free.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${String(error)}`);
  }
}

function plugins(options: DatabaseOptions): KyselyPlugin[] {
  const { onQuery } = options;
  if (!onQuery) return [];
  return [
    {
      transformQuery: (args) => args.node,
      transformResult: (args) => {
        onQuery();
        return Promise.resolve(args.result);
      },
    },
  ];
}
