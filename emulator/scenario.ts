// Scenario files: the users, shares and behaviours (plus optional emulator options) of one simulated
// Soulseek network, in YAML or JSON, so the CLI and the demo can start a realistic emulator from disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Type from 'typebox';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import type { EmulatorOptions, SimUser } from './types.js';

const Behaviour = Type.Object(
  {
    offline: Type.Optional(Type.Boolean()),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    uploadSpeed: Type.Optional(Type.Number({ minimum: 1 })),
    hasFreeUploadSlot: Type.Optional(Type.Boolean()),
    queueLength: Type.Optional(Type.Integer({ minimum: 0 })),
    remoteQueueMs: Type.Optional(Type.Number({ minimum: 0 })),
    stuckInQueue: Type.Optional(Type.Boolean()),
    reject: Type.Optional(Type.String()),
    failAfterBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    stallAfterBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    enqueueDelayMs: Type.Optional(Type.Number({ minimum: 0 })),
    unreachable: Type.Optional(Type.Boolean()),
    enqueueError: Type.Optional(Type.String()),
    ignoreQueueRequest: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const File = Type.Object(
  {
    remotePath: Type.String({ minLength: 1 }),
    localPath: Type.String({ minLength: 1 }),
    bitRate: Type.Optional(Type.Integer()),
    sampleRate: Type.Optional(Type.Integer()),
    bitDepth: Type.Optional(Type.Integer()),
    lengthSeconds: Type.Optional(Type.Integer()),
    isVariableBitRate: Type.Optional(Type.Boolean()),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    hiddenFromSearch: Type.Optional(Type.Boolean()),
    failAfterBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const ScenarioSchema = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    apiKey: Type.Optional(Type.String({ minLength: 1 })),
    version: Type.Optional(Type.String({ pattern: '^\\d+\\.\\d+' })),
    downloadsDir: Type.Optional(Type.String()),
    incompleteDir: Type.Optional(Type.String()),
    tickMs: Type.Optional(Type.Integer({ minimum: 1 })),
    searchTimeoutCapMs: Type.Optional(Type.Integer({ minimum: 1 })),
    loggedIn: Type.Optional(Type.Boolean()),
    maxConcurrentSearches: Type.Optional(Type.Integer({ minimum: 1 })),
    enqueueHardLimitMs: Type.Optional(Type.Integer({ minimum: 1 })),
    inactivityTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retry: Type.Optional(
      Type.Object({
        attempts: Type.Integer({ minimum: 1 }),
        delayMs: Type.Optional(Type.Integer({ minimum: 0 })),
        maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
    ),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    users: Type.Array(
      Type.Object(
        {
          username: Type.String({ minLength: 1 }),
          behaviour: Type.Optional(Behaviour),
          files: Type.Array(File),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A loaded scenario: emulator options (paths already absolute) and the users. */
export type Scenario = Partial<Omit<EmulatorOptions, 'users'>> & { users: SimUser[] };

/**
 * Reads a `.yaml`/`.yml`/`.json` scenario. Relative `localPath`, `downloadsDir` and `incompleteDir`
 * are resolved against the scenario file's folder, so a scenario can ship next to its audio.
 */
export async function loadScenario(file: string): Promise<Scenario> {
  const text = await readFile(file, 'utf8');
  const raw: unknown = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  if (!Value.Check(ScenarioSchema, raw)) {
    const problems = [...Value.Errors(ScenarioSchema, raw)]
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`Invalid scenario ${file}:\n  ${problems.join('\n  ')}`);
  }
  const base = path.dirname(path.resolve(file));
  const abs = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : path.resolve(base, p);
  const scenario = raw as Scenario;
  return {
    ...scenario,
    downloadsDir: abs(scenario.downloadsDir),
    incompleteDir: abs(scenario.incompleteDir),
    users: scenario.users.map((u) => ({
      ...u,
      files: u.files.map((f) => ({ ...f, localPath: path.resolve(base, f.localPath) })),
    })),
  };
}
