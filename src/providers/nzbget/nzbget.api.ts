import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ProviderError, providerUnavailable } from '../provider.js';
import { parseJson, send } from './usenet-http.js';
import type { NzbgetSettings } from './nzbget.settings.js';

/*
 * NZBGet's JSON-RPC (POST <url>/jsonrpc, HTTP Basic auth): the methods SoulSpot uses, each answer
 * schema-checked (extra fields allowed: every release adds some). Reference: NZBGet's API docs and
 * /work/shared/field/real-peers.md 3c.
 */

export const PROVIDER = 'nzbget';

const Parameter = Type.Object({ Name: Type.String(), Value: Type.String() });

/** Fields common to a queue group (listgroups) and a history item. */
const JobFields = {
  NZBID: Type.Number(),
  NZBName: Type.String(),
  Category: Type.String(),
  DestDir: Type.String(),
  FinalDir: Type.Optional(Type.String()),
  FileSizeLo: Type.Number(),
  FileSizeHi: Type.Number(),
  DupeKey: Type.Optional(Type.String()),
  Parameters: Type.Optional(Type.Array(Parameter)),
  Health: Type.Optional(Type.Number()),
  CriticalHealth: Type.Optional(Type.Number()),
  FailedArticles: Type.Optional(Type.Number()),
  ParStatus: Type.Optional(Type.String()),
  UnpackStatus: Type.Optional(Type.String()),
  MoveStatus: Type.Optional(Type.String()),
  DeleteStatus: Type.Optional(Type.String()),
  MinPostTime: Type.Optional(Type.Number()),
};

export const GroupSchema = Type.Object({
  ...JobFields,
  Status: Type.String(),
  RemainingSizeLo: Type.Number(),
  RemainingSizeHi: Type.Number(),
  DownloadRate: Type.Optional(Type.Number()),
  PostInfoText: Type.Optional(Type.String()),
});
export type NzbgetGroup = Static<typeof GroupSchema>;

export const HistorySchema = Type.Object({
  ...JobFields,
  Kind: Type.Optional(Type.String()),
  Status: Type.String(),
  HistoryTime: Type.Optional(Type.Number()),
  DownloadedSizeLo: Type.Optional(Type.Number()),
  DownloadedSizeHi: Type.Optional(Type.Number()),
});
export type NzbgetHistoryItem = Static<typeof HistorySchema>;

const ConfigEntry = Type.Object({ Name: Type.String(), Value: Type.String() });

export interface NzbgetApi {
  version(): Promise<string>;
  /** Returns the NZBID (> 0); NZBGet answers 0 or less when it refused the NZB. */
  append(job: {
    name: string;
    content: string;
    category: string;
    dupeKey: string;
    parameters: { Name: string; Value: string }[];
  }): Promise<number>;
  listgroups(): Promise<NzbgetGroup[]>;
  history(): Promise<NzbgetHistoryItem[]>;
  /** `GroupFinalDelete`, `HistoryDelete`, `HistoryFinalDelete`…; true when NZBGet did it. */
  editqueue(command: string, ids: number[], param?: string): Promise<boolean>;
  /** NZBGet's effective option values (DestDir…). */
  config(): Promise<Map<string, string>>;
}

const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();
function check<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = Compile(schema)));
  if (validator.Check(value)) return value as Static<T>;
  const problems = validator
    .Errors(value)
    .slice(0, 3)
    .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
    .join('; ');
  throw new ProviderError(
    'unknown',
    `NZBGet sent an unexpected answer to ${what}: ${problems}`,
    undefined,
    PROVIDER,
  );
}

export function createNzbgetApi(settings: NzbgetSettings): NzbgetApi {
  const endpoint = `${settings.url}/jsonrpc`;
  const authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`, 'utf8').toString('base64')}`;
  const limits = {
    timeoutMs: settings.requestTimeoutMs,
    maxBytes: settings.maxResponseBytes,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  };

  async function call(method: string, params: unknown[] = []): Promise<unknown> {
    const reply = await send(
      PROVIDER,
      endpoint,
      {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ version: '1.1', id: 1, method, params }),
      },
      limits,
      method,
    );
    if (reply.status === 401 || reply.status === 403) {
      throw providerUnavailable(
        PROVIDER,
        `NZBGet refused the username or password (HTTP ${reply.status} on ${method}); check ControlUsername/ControlPassword`,
      );
    }
    if (reply.status < 200 || reply.status >= 300) {
      throw new ProviderError(
        'unknown',
        `NZBGet answered HTTP ${reply.status} to ${method}`,
        reply.status,
        PROVIDER,
      );
    }
    const body = parseJson(PROVIDER, reply, method) as {
      result?: unknown;
      error?: { message?: string } | null;
    };
    if (body.error) {
      throw new ProviderError(
        'unknown',
        `NZBGet refused ${method}: ${String(body.error.message ?? 'error')}`,
        reply.status,
        PROVIDER,
      );
    }
    return body.result;
  }

  return {
    async version() {
      return check(Type.String(), await call('version'), 'version');
    },
    async append(job) {
      // append(NZBFilename, Content, Category, Priority, AddToTop, AddPaused, DupeKey, DupeScore,
      // DupeMode, PPParameters): the v16+ signature, kept through 21.
      const result = await call('append', [
        `${job.name}.nzb`,
        Buffer.from(job.content, 'utf8').toString('base64'),
        job.category,
        0,
        false,
        false,
        job.dupeKey,
        0,
        // FORCE: SoulSpot decides what to fetch; NZBGet's own dupe check would drop a re-try of
        // the same release (DELETED/DUPE) that the download queue asked for on purpose.
        'FORCE',
        job.parameters,
      ]);
      return check(Type.Number(), result, 'append');
    },
    async listgroups() {
      return check(Type.Array(GroupSchema), await call('listgroups', [0]), 'listgroups');
    },
    async history() {
      return check(Type.Array(HistorySchema), await call('history', [false]), 'history');
    },
    async editqueue(command, ids, param = '') {
      return check(Type.Boolean(), await call('editqueue', [command, param, ids]), 'editqueue');
    },
    async config() {
      const entries = check(Type.Array(ConfigEntry), await call('config'), 'config');
      return new Map(entries.map((e) => [e.Name, e.Value]));
    },
  };
}
