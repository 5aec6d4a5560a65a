import type { Logger } from '../downloads/download.job.js';
import type { LiveProviderSet, MemberSpec } from '../providers/live-provider-set.js';
import { checkClient, checkIndexer, indexerProviderId } from './source-config.js';
import type { ProviderConfigRow, SourcesRepository } from './sources.repository.js';

/** How often provider_configs is read: a change made by another process applies within a second. */
const DEFAULT_REFRESH_MS = 500;

/**
 * Keeps the live provider set (live-provider-set.ts) in step with provider_configs: the fixed
 * members (slskd, the environment's), then every enabled row, indexers and clients each in their
 * `position` order; the switched-off indexers are named to the set (a preference may name one). The table is small, so a poll reads it whole and rebuilds only when a row
 * differs from the last read (settings.service.ts polls the same way). A row that no longer
 * checks (written by a newer version) is left out and logged once.
 */
export function createLiveSources(deps: {
  repo: SourcesRepository;
  live: LiveProviderSet;
  fixed: readonly MemberSpec[];
  /** Each source's secret, for the log's redaction, before its adapter can log anything. */
  secret(value: string): void;
  log: Logger;
  refreshMs?: number;
}) {
  let last = '';
  let timer: NodeJS.Timeout | null = null;
  const reported = new Set<string>();

  const spec = (row: ProviderConfigRow): MemberSpec | null => {
    try {
      const settings = JSON.parse(row.settings) as Record<string, unknown>;
      const source =
        row.role === 'indexer'
          ? checkIndexer(row.id, row.type, true, settings)
          : checkClient(row.id, row.type, true, settings);
      deps.secret(source.secret);
      return {
        key: `api:${row.id}:${row.type}:${row.settings}`,
        indexer: row.role === 'indexer',
        client: row.role === 'client',
        make: source.make,
      };
    } catch (error) {
      const key = `${row.id}:${row.updated_at}`;
      if (!reported.has(key)) {
        reported.add(key);
        deps.log.warn(
          { source: row.id, error: String(error) },
          'stored source is not valid here; left out',
        );
      }
      return null;
    }
  };

  const readAndApply = async (): Promise<void> => {
    const rows = await deps.repo.list();
    const seen = JSON.stringify(rows);
    if (seen === last) return;
    const enabled = rows.filter((r) => r.enabled === 1);
    const specs = [
      ...deps.fixed,
      ...enabled.filter((r) => r.role === 'indexer').map(spec),
      ...enabled.filter((r) => r.role === 'client').map(spec),
    ].filter((s): s is MemberSpec => s !== null);
    const disabled = rows
      .filter((r) => r.role === 'indexer' && r.enabled !== 1)
      .map((r) => indexerProviderId(r.id));
    deps.live.apply(specs, disabled);
    last = seen;
  };

  // One read-and-apply at a time, each reading after the one before has applied: a poll's read
  // that started before a write and answered after it would otherwise apply the old table over
  // the write's own refresh (a source just created gone from the set until the next poll).
  let chain: Promise<void> = Promise.resolve();
  let running = 0;
  const refresh = (): Promise<void> => {
    running++;
    const run = chain.then(readAndApply, readAndApply).finally(() => running--);
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    refresh,
    start(): void {
      timer ??= setInterval(() => {
        // A read still waiting (a slow database) is not joined by another each tick.
        if (running > 0) return;
        refresh().catch((error: unknown) =>
          deps.log.warn({ error: String(error) }, 'could not read the sources'),
        );
      }, deps.refreshMs ?? DEFAULT_REFRESH_MS);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
