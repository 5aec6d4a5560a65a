import { randomUUID } from 'node:crypto';
import type { DatabaseHandle, Db } from '../db/database.js';
import { ConflictError, NotFoundError } from '../downloads/downloads.service.js';
import { DEFAULT_RULES } from '../matching/quality-profile-builtins.js';
import {
  AUDIO_FORMATS,
  CONDITIONS,
  CONDITION_NAMES,
  isConditionName,
  type ProfileRules,
} from '../matching/quality-profile.js';
import type { RankingProfile } from '../downloads/search.step.js';
import type { QualityProfileChanged } from '../events/event-bus.js';
import type { EventLog, LoggedEventInput } from '../events/event-log.js';
import type {
  CreateQualityProfile,
  PatchQualityProfile,
  QualityProfileDto,
} from './quality-profiles.dto.js';
import {
  createQualityProfileRepository,
  type QualityProfileRow,
} from './quality-profiles.repository.js';

/** A profile the rules refuse; the message names the field ("body/minBitrate …"). */
export class QualityProfileValidationError extends Error {
  /** The API's error handler answers with this status and the message. */
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'QualityProfileValidationError';
  }
}

const BOUNDS = [
  ['minBitrate', 'maxBitrate'],
  ['minSampleRate', 'maxSampleRate'],
  ['minBitDepth', 'maxBitDepth'],
  ['minFileSizeMb', 'maxFileSizeMb'],
] as const;

/** Names compare folded, so "balanced" cannot sit beside "Balanced". */
export function nameKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

const sameKind = (value: unknown, fallback: unknown): boolean =>
  Array.isArray(fallback)
    ? Array.isArray(value)
    : fallback === null || typeof fallback === 'number'
      ? value === null || typeof value === 'number'
      : typeof value === typeof fallback;

/**
 * The stored JSON over the current defaults, field by field: a field this version added gets its
 * default, a damaged one too, and a condition name a newer version wrote is dropped, not obeyed.
 */
export function readRules(text: string): ProfileRules {
  let stored: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) stored = parsed as Record<string, unknown>;
  } catch {
    // Falls back to the defaults below: a profile that cannot be read still ranks like "Any".
  }
  const rules: Record<string, unknown> = { ...DEFAULT_RULES };
  for (const [key, fallback] of Object.entries(DEFAULT_RULES)) {
    if (key in stored && sameKind(stored[key], fallback)) rules[key] = stored[key];
  }
  const result = rules as unknown as ProfileRules;
  result.required = result.required.filter((n: string) => isConditionName(n));
  return result;
}

/** Rules as a client sends them: condition names not yet checked. */
export type RulesInput = Partial<Omit<ProfileRules, 'required'>> & { required?: string[] };

function rulesOf(input: RulesInput): Partial<ProfileRules> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_RULES)) {
    const value = (input as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as Partial<ProfileRules>;
}

/**
 * `base` with the fields sent, checked as a whole. allowLossy false and `required` naming
 * "lossless" are one fact: sending one moves the other with it; sending both in disagreement is
 * refused.
 */
export function mergeRules(
  base: ProfileRules,
  input: RulesInput,
  /** The configured indexer ids: a `providers` list sent must name only these. */
  indexers?: readonly string[],
): ProfileRules {
  const fail = (message: string): never => {
    throw new QualityProfileValidationError(message);
  };
  // Only the list sent is checked: a profile naming an indexer removed since stays editable (the
  // search skips it, provider-order.ts).
  input.providers?.forEach((id, i) => {
    if (indexers && !indexers.includes(id)) {
      fail(
        `body/providers/${i} "${id}" is not a configured indexer (configured: ${indexers.join(', ')})`,
      );
    }
  });
  input.required?.forEach((name, i) => {
    if (!isConditionName(name)) {
      fail(
        `body/required/${i} "${name}" is not a condition (conditions: ${CONDITION_NAMES.join(', ')})`,
      );
    } else if (!CONDITIONS[name].requiredCapable) {
      fail(`body/required/${i} "${name}" only ranks and cannot be required`);
    }
  });
  const sent = rulesOf(input);
  const next: ProfileRules = { ...base, ...sent };
  if (sent.required !== undefined && sent.allowLossy !== undefined) {
    if (sent.allowLossy === sent.required.includes('lossless')) {
      fail(
        `body/allowLossy ${String(sent.allowLossy)} disagrees with body/required ${sent.allowLossy ? 'naming' : 'not naming'} "lossless" (allowLossy false means lossless is required)`,
      );
    }
  } else if (sent.allowLossy !== undefined) {
    const others = base.required.filter((n) => n !== 'lossless');
    next.required = sent.allowLossy ? others : [...others, 'lossless'];
  } else if (sent.required !== undefined) {
    next.allowLossy = !sent.required.includes('lossless');
  }

  next.preferredFormats.forEach((format, i) => {
    if (!AUDIO_FORMATS.includes(format)) {
      fail(
        `body/preferredFormats/${i} "${format}" is not a known format (known: ${AUDIO_FORMATS.join(', ')})`,
      );
    }
  });
  for (const [min, max] of BOUNDS) {
    const [low, high] = [next[min], next[max]];
    if (low !== null && high !== null && low > high) {
      fail(`body/${min} ${low} is above body/${max} ${high}`);
    }
  }
  return next;
}

function toDto(row: QualityProfileRow): QualityProfileDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    isDefault: row.is_default === 1,
    ...readRules(row.rules),
    builtIn: row.built_in === 1,
  };
}

/** Whether an insert or update ran into the unique index on names. */
function isNameTaken(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505') return e.constraint === 'quality_profiles_name';
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    (e.message?.includes('quality_profiles.name_key') ?? false)
  );
}

const changed = (
  change: QualityProfileChanged['change'],
  row: QualityProfileRow,
): LoggedEventInput => ({
  type: 'quality-profile.changed',
  payload:
    change === 'deleted' ? { id: row.id, change } : { id: row.id, change, profile: toDto(row) },
});

/**
 * Quality profiles: CRUD with the rules above. Exactly one profile is the default: making another
 * the default clears the old one in the same transaction, and the default can be neither deleted
 * nor un-defaulted (make another one the default instead). Built-ins may be edited and copied; they
 * are not deleted, so every installation keeps the four starting points to copy from.
 *
 * Every change is announced as `quality-profile.changed` in the event log, appended in the
 * transaction of the write (last in it, as the log requires): a client following SSE sees exactly
 * the committed changes, and a profile that lost the default flag to another is an `updated` too.
 */
export function createQualityProfileService(deps: {
  handle: DatabaseHandle;
  now: () => number;
  events: Pick<EventLog, 'appendMany'>;
  /** The configured indexers (the provider set's order), for checking `providers`. */
  indexerIds?: () => readonly string[];
}) {
  const { handle, now, events } = deps;
  const repo = createQualityProfileRepository(handle);

  /** Runs a write transaction; the name index answers 409. */
  async function write<T>(fn: (tx: Db) => Promise<T>, name?: string): Promise<T> {
    try {
      return await handle.writeTx(fn);
    } catch (error) {
      if (isNameTaken(error)) {
        throw new ConflictError(`A quality profile named "${name ?? ''}" exists already`);
      }
      throw error;
    }
  }

  const service = {
    async list(): Promise<QualityProfileDto[]> {
      return (await repo.list()).map(toDto);
    },

    async get(id: string): Promise<QualityProfileDto> {
      const row = await repo.get(id);
      if (!row) throw new NotFoundError(`Quality profile ${id}`);
      return toDto(row);
    },

    /** The profile a download names, or the default when it names none (the next step's entry). */
    async resolve(id?: string | null): Promise<QualityProfileDto> {
      if (id) return service.get(id);
      const row = await repo.getDefault();
      if (!row) throw new NotFoundError('Default quality profile');
      return toDto(row);
    },

    async create(input: CreateQualityProfile): Promise<QualityProfileDto> {
      let base = DEFAULT_RULES;
      let description = '';
      if (input.copyOf !== undefined) {
        const source = await repo.get(input.copyOf);
        if (!source) {
          throw new QualityProfileValidationError(
            `body/copyOf: no quality profile has the id ${input.copyOf}`,
          );
        }
        base = readRules(source.rules);
        description = source.description;
      }
      const rules = mergeRules(base, input, deps.indexerIds?.());
      const t = now();
      const id = randomUUID();
      const row = await write(async (tx) => {
        let cleared: QualityProfileRow[] = [];
        if (input.isDefault) {
          await repo.lockDefaultChanges(tx);
          cleared = await repo.clearDefault(id, tx);
        }
        const created = await repo.insert(
          {
            id,
            name: input.name,
            name_key: nameKey(input.name),
            description: input.description ?? description,
            rules: JSON.stringify(rules),
            is_default: input.isDefault ? 1 : 0,
            built_in: 0,
            created_at: t,
            updated_at: t,
          },
          tx,
        );
        await events.appendMany(tx, [
          ...cleared.map((r) => changed('updated', r)),
          changed('created', created),
        ]);
        return created;
      }, input.name);
      return toDto(row);
    },

    async update(id: string, patch: PatchQualityProfile): Promise<QualityProfileDto> {
      const row = await write(async (tx) => {
        if (patch.isDefault) await repo.lockDefaultChanges(tx);
        const before = await repo.getForUpdate(id, tx);
        if (!before) throw new NotFoundError(`Quality profile ${id}`);
        if (patch.isDefault === false && before.is_default === 1) {
          throw new ConflictError(
            `"${before.name}" is the default quality profile; make another profile the default instead`,
          );
        }
        const rules = mergeRules(readRules(before.rules), patch, deps.indexerIds?.());
        const cleared = patch.isDefault ? await repo.clearDefault(id, tx) : [];
        const updated = await repo.update(
          id,
          {
            ...(patch.name !== undefined
              ? { name: patch.name, name_key: nameKey(patch.name) }
              : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.isDefault ? { is_default: 1 } : {}),
            rules: JSON.stringify(rules),
            updated_at: now(),
          },
          tx,
        );
        if (updated) {
          await events.appendMany(tx, [
            ...cleared.map((r) => changed('updated', r)),
            changed('updated', updated),
          ]);
        }
        return updated;
      }, patch.name);
      if (!row) throw new NotFoundError(`Quality profile ${id}`);
      return toDto(row);
    },

    /** Which of these ids are profiles: the downloads service checks requests with it. */
    existing: (ids: string[]): Promise<Set<string>> => repo.existingIds(ids),

    /**
     * The profile a search ranks with: the one named, else the default. A named one that is gone
     * (only a finished download's, which the foreign key cleared anyway) falls back to the default.
     */
    async rankingProfile(id: string | null): Promise<RankingProfile> {
      const row = (id ? await repo.get(id) : undefined) ?? (await repo.getDefault());
      if (!row) throw new NotFoundError('Default quality profile');
      return { id: row.id, name: row.name, rules: readRules(row.rules) };
    },

    /**
     * Deletes a profile that no unfinished download names: a download that asked for "Lossless
     * only" must not quietly start taking MP3s because its profile went (409 with the count; cancel
     * them, or let them finish, first). Finished downloads do not hold it: theirs is history, and
     * a retry of one searches with the default.
     */
    async remove(id: string): Promise<void> {
      // The row the delete refused to touch (the default or a built-in), or null once deleted.
      const refused = await handle.writeTx(async (tx) => {
        const row = await repo.getForUpdate(id, tx);
        if (!row) throw new NotFoundError(`Quality profile ${id}`);
        if (row.is_default === 1 || row.built_in === 1) return row;
        const using = await repo.countActiveNaming(id, tx);
        if (using > 0) {
          throw new ConflictError(
            `"${row.name}" is the quality profile of ${using} unfinished download${using === 1 ? '' : 's'}; cancel ${using === 1 ? 'it' : 'them'} or wait for ${using === 1 ? 'it' : 'them'} to finish, then delete the profile`,
          );
        }
        if (!(await repo.deleteDeletable(id, tx))) return row;
        await events.appendMany(tx, [changed('deleted', row)]);
        return null;
      });
      if (refused === null) return;
      if (refused.is_default === 1) {
        throw new ConflictError(
          `"${refused.name}" is the default quality profile and cannot be deleted; make another profile the default first`,
        );
      }
      throw new ConflictError(
        `"${refused.name}" is a built-in quality profile: it can be edited or copied, not deleted`,
      );
    },
  };
  return service;
}

export type QualityProfileService = ReturnType<typeof createQualityProfileService>;
