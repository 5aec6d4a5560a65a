import { Compile } from 'typebox/compile';
import type { Logger } from '../downloads/download.job.js';
import {
  SETTING_DEFINITIONS,
  SETTING_KEYS,
  isSettingKey,
  type SettingKey,
  type Settings,
  type SettingsPatch,
} from './settings.definitions.js';
import type { SettingsRepository } from './settings.repository.js';

/** How often the table is read again, so a change made by another process applies within a second. */
const DEFAULT_REFRESH_MS = 500;

const validators = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, Compile(SETTING_DEFINITIONS[key].schema)]),
) as Record<SettingKey, ReturnType<typeof Compile>>;

function refineProblem(key: SettingKey, value: unknown, all: Readonly<Record<string, unknown>>) {
  const refine = SETTING_DEFINITIONS[key].refine as
    ((v: unknown, a: Readonly<Record<string, unknown>>) => string | null) | undefined;
  return refine ? refine(value, all) : null;
}

export class SettingsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsValidationError';
  }
}

export type SettingsListener = (changed: SettingKey[], settings: Readonly<Settings>) => void;

/**
 * The one place settings are read from. Everything that depends on a setting asks `current()` when
 * it needs the value (never a copy taken at start), so a PATCH through any process applies
 * everywhere: here at once, in the other processes sharing the database at their next refresh.
 */
export function createSettingsService(deps: {
  repo: SettingsRepository;
  /** The values without any stored row: from the environment. */
  defaults: Settings;
  now: () => number;
  log: Logger;
  refreshMs?: number;
}) {
  const { repo, defaults, log } = deps;
  let current: Settings = { ...defaults };
  let timer: NodeJS.Timeout | null = null;
  const listeners = new Set<SettingsListener>();
  /** Stored values already reported as invalid, so a refresh every half second does not repeat it. */
  const reported = new Set<string>();
  const reportInvalid = (key: string, raw: string): void => {
    if (reported.has(`${key}=${raw}`)) return;
    reported.add(`${key}=${raw}`);
    log.warn({ key, value: raw }, 'stored setting is not valid here; using the default');
  };

  /** Applies the stored rows over the defaults and tells listeners what changed. */
  const apply = (rows: { key: string; value: string }[]): void => {
    const next: Settings = { ...defaults };
    for (const row of rows) {
      if (!isSettingKey(row.key)) continue; // a newer version's setting: not ours to judge
      let value: unknown;
      try {
        value = JSON.parse(row.value);
      } catch {
        value = undefined;
      }
      if (!validators[row.key].Check(value)) {
        reportInvalid(row.key, row.value);
        continue;
      }
      (next as Record<SettingKey, unknown>)[row.key] = value;
    }
    // Semantic checks need the whole picture (windows are read in the stored time zone).
    for (const key of SETTING_KEYS) {
      if (refineProblem(key, next[key], next) === null) continue;
      reportInvalid(key, JSON.stringify(next[key]));
      (next as Record<SettingKey, unknown>)[key] = defaults[key];
    }
    const changed = SETTING_KEYS.filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(current[key]),
    );
    current = next;
    if (changed.length === 0) return;
    for (const listener of listeners) {
      try {
        listener(changed, current);
      } catch (error) {
        log.error({ error: String(error) }, 'settings listener failed');
      }
    }
  };

  const refresh = async (): Promise<void> => apply(await repo.all());

  return {
    /** The settings in force. The object is replaced, never mutated: keep no reference to it. */
    current(): Readonly<Settings> {
      return current;
    },

    get<K extends SettingKey>(key: K): Settings[K] {
      return current[key];
    },

    /** Reads the stored settings once (before anything uses them). */
    load: refresh,

    /**
     * Validates and stores a change; null puts a key back to its default. The route validated the
     * shape already; this is the same check for callers that are not HTTP.
     */
    async update(patch: SettingsPatch): Promise<Readonly<Settings>> {
      const set: { key: string; value: string }[] = [];
      const reset: string[] = [];
      for (const [key, value] of Object.entries(patch)) {
        if (!isSettingKey(key)) throw new SettingsValidationError(`${key} is not a known setting`);
        if (value === undefined) continue;
        if (value === null) {
          reset.push(key);
          continue;
        }
        if (!validators[key].Check(value)) {
          const first = validators[key].Errors(value)[0];
          throw new SettingsValidationError(`${key} ${first?.message ?? 'is invalid'}`);
        }
        set.push({ key, value: JSON.stringify(value) });
      }
      // Semantic checks see the settings as they will be: a new time zone is checked together
      // with the windows in force. What is in force is valid, so any problem comes from the patch.
      const merged: Record<string, unknown> = { ...current };
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) merged[key] = value ?? defaults[key as SettingKey];
      }
      for (const key of SETTING_KEYS) {
        const problem = refineProblem(key, merged[key], merged);
        if (problem !== null)
          throw new SettingsValidationError(
            `${key}${problem.startsWith('/') ? '' : ' '}${problem}`,
          );
      }
      await repo.write(set, reset, deps.now());
      await refresh();
      return current;
    },

    /** Called with the keys that changed, here or in another process. Returns the unsubscribe. */
    onChange(listener: SettingsListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    start(): void {
      timer ??= setInterval(() => {
        refresh().catch((error: unknown) =>
          log.warn({ error: String(error) }, 'could not read the settings'),
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

export type SettingsService = ReturnType<typeof createSettingsService>;
