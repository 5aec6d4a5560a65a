import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { indexerUrlProblem } from './torznab.api.js';
import {
  createTorznabProvider,
  type TorznabDeps,
  type TorznabProvider,
} from './torznab.provider.js';
import {
  TorznabIndexerSettingsSchema,
  torznabSettings,
  type TorznabSettings,
} from './torznab.settings.js';

/**
 * The composition root's entry: indexers from configuration (a JSON list, a settings row),
 * validated by the schema (the message names the field, never the API key) and by the address
 * rule that needs no name resolution, then built.
 */

const validator = Compile(TorznabIndexerSettingsSchema);

export class TorznabSettingsError extends Error {
  constructor(
    message: string,
    /** The first problem's field (`/url`) and its own words, for an API answer naming the field. */
    readonly field?: { path: string; message: string },
  ) {
    super(message);
    this.name = 'TorznabSettingsError';
  }
}

/** One indexer's settings from untrusted input, defaults filled; throws TorznabSettingsError. */
export function parseTorznabSettings(
  input: unknown,
  tuning: Partial<TorznabSettings> = {},
): TorznabSettings {
  const withDefaults = Value.Default(TorznabIndexerSettingsSchema, structuredClone(input));
  if (!validator.Check(withDefaults)) {
    const problems = validator
      .Errors(withDefaults)
      .slice(0, 3)
      .map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message}`)
      .join('; ');
    const [first] = validator.Errors(withDefaults);
    throw new TorznabSettingsError(`indexer settings: ${problems}`, {
      path: first?.instancePath ?? '',
      message: first?.message ?? 'invalid',
    });
  }
  const settings = torznabSettings({ ...withDefaults, ...tuning });
  const problem = indexerUrlProblem(settings);
  if (problem !== null) throw new TorznabSettingsError(problem, { path: '/url', message: problem });
  return settings;
}

/** Every enabled indexer of a configured list; ids must be distinct. */
export function createTorznabIndexers(
  inputs: readonly unknown[],
  deps: TorznabDeps = {},
): TorznabProvider[] {
  const seen = new Set<string>();
  const out: TorznabProvider[] = [];
  for (const input of inputs) {
    const settings = parseTorznabSettings(input);
    if (seen.has(settings.id))
      throw new TorznabSettingsError(`indexer "${settings.id}" is configured twice`);
    seen.add(settings.id);
    if (settings.enabled) out.push(createTorznabProvider(settings, deps));
  }
  return out;
}
