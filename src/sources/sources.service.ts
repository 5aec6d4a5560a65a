import { ConflictError, NotFoundError } from '../downloads/downloads.errors.js';
import { redactUrlCredentials } from '../log/redact.js';
import { CLIENT_TYPES } from '../providers/client-types.js';
import { createTorznabApi } from '../providers/torznab/torznab.api.js';
import { CLOCK_SKEW_MS, createPreferenceClear } from './preference-clear.js';
import {
  checkClient,
  checkIndexer,
  publicSettings,
  secretOf,
  SourceInputError,
  type CheckedSource,
  type Role,
} from './source-config.js';
import type {
  CreateSourceBody,
  SourceDto,
  TestResult,
  TestSourceBody,
  UpdateSourceBody,
} from './sources.dto.js';
import type { Db } from '../db/database.js';
import type { EventLog, LoggedEventInput } from '../events/event-log.js';
import type {
  ProviderConfigRow,
  SourcesOperations,
  SourcesRepository,
} from './sources.repository.js';

/**
 * Indexers and download clients configured through the API (README, "Sources"): the rules between
 * the routes and provider_configs. Input is checked with the adapters' own schemas
 * (source-config.ts); environment entries are listed and read-only; every write is applied to
 * this process's provider set at once (`applied`) and to the others' at their next poll.
 */

type Health = SourceDto['health'];

export interface SourcesServiceDeps {
  repo: SourcesRepository;
  /** Downloads and albums that named a removed indexer are announced with their clear. */
  events: Pick<EventLog, 'append' | 'appendMany'>;
  /** The `album.updated` events of albums changed in `tx` (album-tracker.ts). */
  albumsChanged(tx: Db, albumIds: readonly string[]): Promise<LoggedEventInput[]>;
  /** The environment's entries (sources.env.ts), fixed for the process's life. */
  environment: readonly CheckedSource[];
  /** The health of a provider-set member by its name; undefined: not in this process's set (yet). */
  health(
    providerId: string,
  ): (Omit<Health, 'state'> & { state: 'up' | 'down' | 'unknown' }) | undefined;
  /** Reads the rows again and rebuilds this process's set (sources.live.ts). */
  applied(): Promise<void>;
  log: { warn(obj: object, msg?: string): void };
  /** Downloads cleared of a removed indexer per transaction (preference-clear.ts). */
  clearChunk?: number;
  /** Learns a secret for the log's redaction before anything can log it. */
  secret(value: string): void;
  now: () => number;
}

const ENV_NAME: Record<Role, string> = {
  indexer: 'SOULSPOT_INDEXERS',
  client: 'SOULSPOT_DOWNLOAD_CLIENTS',
};

export function createSourcesService(deps: SourcesServiceDeps) {
  const { repo } = deps;
  const check = (
    row: Pick<ProviderConfigRow, 'id' | 'role' | 'type' | 'settings'>,
    enabled: boolean,
  ) => {
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    return row.role === 'indexer'
      ? checkIndexer(row.id, row.type, enabled, settings)
      : checkClient(row.id, row.type, enabled, settings);
  };

  const healthOf = (source: CheckedSource): Health => {
    const h = deps.health(source.providerId);
    if (!source.enabled) return { state: 'disabled', circuit: h?.circuit ?? 'closed' };
    if (!h) return { state: 'unknown', circuit: 'closed' };
    const state = h.state === 'up' ? 'ok' : h.state === 'down' ? 'failing' : 'unknown';
    return {
      state,
      circuit: h.circuit,
      ...(h.lastError !== undefined && state === 'failing'
        ? {
            lastError: redactUrlCredentials(h.lastError).replaceAll(
              source.secret || '\0',
              '[redacted]',
            ),
          }
        : {}),
      ...(h.lastCheckedAt !== undefined ? { lastCheckedAt: h.lastCheckedAt } : {}),
    };
  };

  const dto = (
    source: CheckedSource,
    position: number,
    origin: 'api' | 'environment',
    updatedAt: number | null,
  ): SourceDto =>
    ({
      id: source.id,
      type: source.type,
      enabled: source.enabled,
      position,
      source: origin,
      settings: publicSettings(source),
      secrets: { [secretOf(source.type).field]: { set: source.secret !== '' } },
      health: healthOf(source),
      updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
    }) as SourceDto;

  const envOf = (role: Role) => deps.environment.filter((s) => s.role === role);
  const rowDto = (row: ProviderConfigRow) =>
    dto(check(row, row.enabled === 1), row.position, 'api', row.updated_at);

  const stored = async (
    role: Role,
    id: string,
    ops: SourcesOperations = repo,
  ): Promise<ProviderConfigRow> => {
    const row = await ops.get(id);
    if (!row || row.role !== role) {
      if (envOf(role).some((s) => s.id === id))
        throw new ConflictError(`"${id}" is set in ${ENV_NAME[role]}; change it there`);
      throw new NotFoundError(`${role === 'indexer' ? 'Indexer' : 'Download client'} ${id}`);
    }
    return row;
  };

  /** An indexer must name a client of its protocol (the rule configured.ts applies at start). */
  const checkClientOf = async (source: CheckedSource, ops: SourcesOperations): Promise<void> => {
    if (source.role !== 'indexer') return;
    const rows = (await ops.list()).filter((r) => r.role === 'client');
    const clients = [
      ...envOf('client').map((c) => ({ id: c.id, protocol: c.protocol })),
      ...rows.map((r) => ({ id: r.id, protocol: check(r, true).protocol })),
    ];
    if (!clients.some((c) => c.id === source.clientId && c.protocol === source.protocol))
      throw new ConflictError(
        `settings/clientId: "${source.clientId}" is not a configured ${source.protocol} download client (configured: ${clients.map((c) => `${c.id} (${c.protocol})`).join(', ') || 'none'})`,
      );
  };

  const make = (
    role: Role,
    id: string,
    type: unknown,
    enabled: boolean,
    settings: Record<string, unknown>,
  ) =>
    role === 'indexer'
      ? checkIndexer(id, type, enabled, settings)
      : checkClient(id, type, enabled, settings);

  /** The indexers (the environment's and the API's) that send their releases to client `id`. */
  const indexersOf = async (id: string, ops: SourcesOperations): Promise<string[]> => {
    const rows = (await ops.list()).filter((r) => r.role === 'indexer');
    return [
      ...envOf('indexer')
        .filter((s) => s.clientId === id)
        .map((s) => s.id),
      ...rows.filter((r) => check(r, true).clientId === id).map((r) => r.id),
    ];
  };

  /** One try of `update`: null when the row changed after it was read (removed: NotFoundError). */
  const updateOnce = async (
    role: Role,
    id: string,
    body: UpdateSourceBody,
    ops: SourcesOperations,
  ): Promise<SourceDto | null> => {
    const row = await stored(role, id, ops);
    const type = body.type ?? row.type;
    const storedSettings = JSON.parse(row.settings) as Record<string, unknown>;
    const settings: Record<string, unknown> = { ...storedSettings, ...body.settings };
    const secret = secretOf(type);
    if (body.settings && body.settings[secret.field] === null) {
      if (secret.required)
        throw new SourceInputError(
          `settings/${secret.field}: ${type} needs one; it cannot be cleared`,
        );
      settings[secret.field] = '';
    }
    const source = make(role, id, type, body.enabled ?? row.enabled === 1, settings);
    const storedSecret = storedSettings[secretOf(row.type).field];
    // A stored secret goes only to the server it was given for (as notifications' tokens do):
    // a url moved to another origin without the secret given again would hand it to whoever
    // runs the new server at the next request or test, which makes "write-only" a formality.
    if (
      typeof storedSecret === 'string' &&
      storedSecret !== '' &&
      body.settings?.[secret.field] === undefined &&
      !sameOrigin(storedSettings.url, settings.url)
    )
      throw movedWithoutSecret(secret);
    await checkClientOf(source, ops);
    // An indexer's releases must go to a client of its protocol (checkClientOf's rule, from the
    // client's side): qBittorrent's settings pass NZBGet's schema, so a type change could move a
    // client under its indexers to a daemon that cannot fetch what they find.
    const before = role === 'client' ? check(row, true).protocol : source.protocol;
    if (source.protocol !== before) {
      const users = await indexersOf(id, ops);
      if (users.length > 0)
        throw new ConflictError(
          `type: indexers ${users.join(', ')} send ${before} releases to "${id}"; change or remove them first`,
        );
    }
    // A client lists only its category's jobs (and a type is another daemon): a transfer in flight
    // would read as missing under the new one, be dropped, and be fetched again beside the old.
    if (role === 'client') {
      const field =
        source.type !== row.type
          ? 'type'
          : (storedSettings.category ?? null) !== (source.settings.category ?? null)
            ? 'settings/category'
            : null;
      const open = field === null ? 0 : await ops.openTransfersAt(id);
      if (open > 0)
        throw new ConflictError(
          `${field}: ${open === 1 ? '1 transfer is' : `${open} transfers are`} in flight at "${id}"; change it once ${open === 1 ? 'it is' : 'they are'} done or cancelled`,
        );
    }
    deps.secret(source.secret);
    const fields = {
      type: source.type,
      settings: JSON.stringify(source.settings),
      enabled: source.enabled ? 1 : 0,
      position: body.position ?? row.position,
      // Strictly later than before: the other processes' poll compares rows, this keeps order.
      updated_at: Math.max(deps.now(), row.updated_at + 1),
    };
    if (!(await ops.update(id, row.updated_at, fields))) return null;
    return rowDto({ ...row, ...fields });
  };

  const forgetPreference = createPreferenceClear(deps);

  return {
    async list(role: Role): Promise<{ items: SourceDto[] }> {
      const rows = (await repo.list()).filter((r) => r.role === role);
      return {
        items: [...envOf(role).map((s, i) => dto(s, i, 'environment', null)), ...rows.map(rowDto)],
      };
    },

    async get(role: Role, id: string): Promise<SourceDto> {
      const env = envOf(role).findIndex((s) => s.id === id);
      if (env >= 0) return dto(envOf(role)[env]!, env, 'environment', null);
      return rowDto(await stored(role, id));
    },

    async create(role: Role, body: CreateSourceBody): Promise<SourceDto> {
      const taken = deps.environment.some((s) => s.id === body.id) || body.id === 'slskd';
      if (taken) throw new ConflictError(`id: "${body.id}" is taken`);
      // A client from SOULSPOT_DOWNLOAD_CLIENTS is named by its type: an API entry of that name
      // would clash with one the operator adds there later.
      if ((CLIENT_TYPES as readonly string[]).includes(body.id))
        throw new ConflictError(
          `id: "${body.id}" is kept for a SOULSPOT_DOWNLOAD_CLIENTS entry of that type; choose another`,
        );
      const settings = { ...body.settings };
      const secret = secretOf(body.type);
      if (settings[secret.field] === undefined && !secret.required) settings[secret.field] = '';
      const source = make(role, body.id, body.type, body.enabled ?? true, settings);
      // The client check, the position and the insert as one step (repository, `exclusive`): an
      // indexer created while its client is removed would otherwise name a client that is gone.
      const row = await repo.exclusive(async (ops) => {
        if (await ops.get(body.id)) throw new ConflictError(`id: "${body.id}" is taken`);
        await checkClientOf(source, ops);
        deps.secret(source.secret);
        const rows = (await ops.list()).filter((r) => r.role === role);
        const created: ProviderConfigRow = {
          id: source.id,
          role,
          type: source.type,
          settings: JSON.stringify(source.settings),
          enabled: source.enabled ? 1 : 0,
          position: body.position ?? Math.max(-1, ...rows.map((r) => r.position)) + 1,
          updated_at: deps.now(),
        };
        if (!(await ops.insert(created))) throw new ConflictError(`id: "${body.id}" is taken`);
        return created;
      });
      if (role === 'indexer') await forgetPreference(row.id, row.updated_at - CLOCK_SKEW_MS);
      await deps.applied();
      return rowDto(row);
    },

    /**
     * The change applied to the row as it is now: a write that finds the row changed since it was
     * read (another request or process wrote it meanwhile) is made again on the new row, so
     * neither change is lost.
     */
    async update(role: Role, id: string, body: UpdateSourceBody): Promise<SourceDto> {
      for (let tries = 1; ; tries++) {
        // Checked and written as one step (repository, `exclusive`), as create and remove are.
        const done = await repo.exclusive((ops) => updateOnce(role, id, body, ops));
        if (done) {
          await deps.applied();
          return done;
        }
        if (tries >= 5)
          throw new ConflictError(`"${id}" keeps changing meanwhile; send the change again`);
      }
    },

    async remove(role: Role, id: string): Promise<void> {
      await repo.exclusive(async (ops) => {
        await stored(role, id, ops);
        if (role === 'client') {
          const users = await indexersOf(id, ops);
          if (users.length > 0)
            throw new ConflictError(
              `indexers ${users.join(', ')} use "${id}": change or remove them first`,
            );
        }
        if (!(await ops.remove(id))) throw new NotFoundError(`Source ${id}`);
      });
      // This process's set first: it stops accepting the id before the clear starts.
      try {
        await deps.applied();
      } finally {
        if (role === 'indexer') await forgetPreference(id);
      }
    },

    /**
     * Talks to the source once: an indexer's `t=caps`, a client's login and version. A stored one
     * (by id) is tested with its stored secret under the overrides given.
     */
    async test(role: Role, body: TestSourceBody): Promise<TestResult> {
      let source: CheckedSource;
      const env = body.id ? envOf(role).find((s) => s.id === body.id) : undefined;
      const row = body.id && !env ? await repo.get(body.id) : undefined;
      const base = env ?? (row && row.role === role ? check(row, true) : undefined);
      if (base) {
        const settings = { ...base.settings, ...body.settings };
        const secret = secretOf(body.type ?? base.type);
        const given = body.settings?.[secret.field];
        const storedSecret = base.settings[secretOf(base.type).field];
        // The stored secret goes only to the server it was stored for (as a PATCH's rule):
        // otherwise this endpoint would hand it to any url it is given.
        if (
          given === undefined &&
          typeof storedSecret === 'string' &&
          storedSecret !== '' &&
          !sameOrigin(base.settings.url, settings.url)
        )
          throw movedWithoutSecret(secret);
        // null: test without one (as a PATCH's null clears it).
        if (given === null) settings[secret.field] = '';
        // An environment client is the operator's (plain fetch) only at the url the operator
        // wrote: one given here is the caller's, under the API's address rule.
        const trusted = env !== undefined && settings.url === base.settings.url;
        source =
          role === 'client'
            ? checkClient(base.id, body.type ?? base.type, true, settings, { trusted })
            : checkIndexer(base.id, body.type ?? base.type, true, settings);
      } else {
        if (!body.type || !body.settings)
          throw new SourceInputError(
            body.id
              ? `id: no ${role} "${body.id}"; send type and settings to test an unsaved one`
              : 'type and settings are required',
          );
        const settings = { ...body.settings };
        const secret = secretOf(body.type);
        if (settings[secret.field] === undefined && !secret.required) settings[secret.field] = '';
        source = make(role, body.id ?? 'test', body.type, true, settings);
      }
      deps.secret(source.secret);
      const clean = (text: string) =>
        redactUrlCredentials(source.secret ? text.replaceAll(source.secret, '[redacted]') : text);
      if (source.role === 'indexer') {
        try {
          const caps = await createTorznabApi(source.torznab!).caps();
          return {
            ok: true,
            message: `${source.type} answered: ${caps.categories.length} categories, music search ${caps.musicSearch.available ? 'available' : 'not available'}`,
            details: {
              categories: caps.categories.length,
              musicSearch: caps.musicSearch.available,
              ...(caps.limits.max !== undefined ? { limitsMax: caps.limits.max } : {}),
            },
          };
        } catch (error) {
          return {
            ok: false,
            message: clean(error instanceof Error ? error.message : String(error)),
          };
        }
      }
      const health = await source.make().health();
      return health.state === 'up'
        ? {
            ok: true,
            message: `${source.type} answered${health.version ? `: version ${health.version}` : ''}`,
            ...(health.version ? { details: { version: health.version } } : {}),
          }
        : { ok: false, message: clean(health.message ?? `${source.type} is unreachable`) };
    },
  };
}

export type SourcesService = ReturnType<typeof createSourcesService>;

/** Whether two urls are on one server (scheme, host and port); anything unparsable is not. */
export function sameOrigin(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** The 400 for a url moved to another server with the stored secret left to follow it. */
function movedWithoutSecret(secret: { field: string; required: boolean }): SourceInputError {
  return new SourceInputError(
    `settings/${secret.field}: must be given again${secret.required ? '' : ' (or null)'} when url moves to another server`,
  );
}
