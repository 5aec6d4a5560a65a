import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { parseJson, send } from '../nzbget/usenet-http.js';
import { ProviderError, providerUnavailable } from '../provider.js';
import type { SabnzbdSettings } from './sabnzbd.settings.js';

/*
 * SABnzbd's HTTP API (`/api?mode=…&apikey=…&output=json`): the modes SoulSpot uses, each answer
 * schema-checked (extra fields allowed). Reference: SABnzbd's API docs and
 * /work/shared/field/real-peers.md 3d. `addurl` is deliberately absent: SoulSpot fetches the NZB
 * itself (safe-fetch) and sends its content, so SABnzbd never fetches a URL a remote party chose.
 */

export const PROVIDER = 'sabnzbd';

export const QueueSlotSchema = Type.Object({
  nzo_id: Type.String(),
  filename: Type.String(),
  status: Type.String(),
  cat: Type.Optional(Type.String()),
  mb: Type.Optional(Type.String()),
  mbleft: Type.Optional(Type.String()),
  percentage: Type.Optional(Type.String()),
});
export type SabQueueSlot = Static<typeof QueueSlotSchema>;

/** The uploaded .nzb's name: the job name and the posted bytes it must download. */
export function nzbUploadName(name: string, expectedBytes: number): string {
  return `${name}.posted-${Math.max(0, Math.round(expectedBytes))}.nzb`;
}

/** The posted bytes `nzbUploadName` recorded; null for a job added some other way. */
export function expectedBytesOf(nzbName: string | null | undefined): number | null {
  const match = /\.posted-(\d{1,15})\.nzb$/.exec(nzbName ?? '');
  return match ? Number(match[1]) : null;
}

const StageSchema = Type.Object({ name: Type.String(), actions: Type.Array(Type.String()) });

export const HistorySlotSchema = Type.Object({
  nzo_id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  category: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  storage: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  bytes: Type.Optional(Type.Number()),
  downloaded: Type.Optional(Type.Number()),
  completed: Type.Optional(Type.Number()),
  fail_message: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  nzb_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  stage_log: Type.Optional(Type.Array(StageSchema)),
});
export type SabHistorySlot = Static<typeof HistorySlotSchema>;

const QueueSchema = Type.Object({
  queue: Type.Object({
    slots: Type.Array(QueueSlotSchema),
    kbpersec: Type.Optional(Type.String()),
  }),
});
const HistorySchema = Type.Object({
  history: Type.Object({ slots: Type.Array(HistorySlotSchema) }),
});
const VersionSchema = Type.Object({ version: Type.String() });
const AddSchema = Type.Object({
  status: Type.Boolean(),
  nzo_ids: Type.Optional(Type.Array(Type.String())),
  error: Type.Optional(Type.String()),
});
const StatusSchema = Type.Object({ status: Type.Boolean(), error: Type.Optional(Type.String()) });
const ConfigSchema = Type.Object({
  config: Type.Object({ misc: Type.Object({ complete_dir: Type.String() }) }),
});

export interface SabnzbdApi {
  version(): Promise<string>;
  /** Adds an NZB by content; returns the job's nzo_id. */
  /**
   * `expectedBytes` rides in the uploaded file's name, which SABnzbd keeps as the job's `nzb_name`:
   * the one place that survives a restart of either side (see sabnzbd.mapping shortfallNote).
   */
  addFile(job: {
    name: string;
    content: string;
    category: string;
    expectedBytes: number;
  }): Promise<string>;
  queue(): Promise<{ slots: SabQueueSlot[]; bytesPerSecond: number }>;
  history(): Promise<SabHistorySlot[]>;
  /** Deletes a queue or history job; `deleteFiles` removes what it downloaded. */
  delete(where: 'queue' | 'history', nzoId: string, deleteFiles: boolean): Promise<void>;
  /** complete_dir, as SABnzbd names it. */
  completeDir(): Promise<string>;
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
    `SABnzbd sent an unexpected answer to ${what}: ${problems}`,
    undefined,
    PROVIDER,
  );
}

/** SABnzbd's refusals are short bodies (`API Key Incorrect`): a long one is an answer, whatever it says. */
const KEY_REFUSED = /api key (incorrect|required)|not allowed|missing authentication/i;

export function createSabnzbdApi(settings: SabnzbdSettings): SabnzbdApi {
  const limits = {
    timeoutMs: settings.requestTimeoutMs,
    maxBytes: settings.maxResponseBytes,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  };

  async function call(
    mode: string,
    params: Record<string, string> = {},
    form?: FormData,
  ): Promise<unknown> {
    const query = new URLSearchParams({ mode, ...params, output: 'json', apikey: settings.apiKey });
    // The key is in the query (SABnzbd's only way): the URL is never put into a message.
    const what = params.name !== undefined ? `mode=${mode}&name=${params.name}` : `mode=${mode}`;
    const init: RequestInit = form ? { method: 'POST', body: form } : { method: 'GET' };
    const reply = await send(
      PROVIDER,
      `${settings.url}/api?${query.toString()}`,
      init,
      limits,
      what,
    );
    if (
      reply.status === 401 ||
      reply.status === 403 ||
      (reply.text.length < 300 && KEY_REFUSED.test(reply.text))
    ) {
      throw providerUnavailable(
        PROVIDER,
        `SABnzbd refused the API key (${what}); check the configured key`,
      );
    }
    if (reply.status < 200 || reply.status >= 300) {
      throw new ProviderError(
        'unknown',
        `SABnzbd answered HTTP ${reply.status} to ${what}`,
        reply.status,
        PROVIDER,
      );
    }
    const body = parseJson(PROVIDER, reply, what);
    if (
      body !== null &&
      typeof body === 'object' &&
      (body as { status?: unknown }).status === false
    ) {
      const error = String((body as { error?: unknown }).error ?? 'refused');
      throw new ProviderError(
        'transfer_rejected',
        `SABnzbd refused ${what}: ${error}`,
        reply.status,
        PROVIDER,
      );
    }
    return body;
  }

  return {
    async version() {
      return check(VersionSchema, await call('version'), 'mode=version').version;
    },
    async addFile(job) {
      const form = new FormData();
      form.append(
        'name',
        new Blob([job.content], { type: 'application/x-nzb' }),
        nzbUploadName(job.name, job.expectedBytes),
      );
      const reply = check(
        AddSchema,
        await call('addfile', { cat: job.category, nzbname: job.name }, form),
        'mode=addfile',
      );
      const id = reply.nzo_ids?.[0];
      if (id === undefined) {
        throw new ProviderError(
          'transfer_rejected',
          `SABnzbd did not take the NZB: ${reply.error ?? 'no job id'}`,
          undefined,
          PROVIDER,
        );
      }
      return id;
    },
    async queue() {
      const { queue } = check(QueueSchema, await call('queue', { limit: '1000' }), 'mode=queue');
      const kb = Number(queue.kbpersec ?? '0');
      return { slots: queue.slots, bytesPerSecond: Number.isFinite(kb) ? kb * 1024 : 0 };
    },
    async history() {
      const body = await call('history', { category: settings.category, limit: '1000' });
      return check(HistorySchema, body, 'mode=history').history.slots;
    },
    async delete(where, nzoId, deleteFiles) {
      const body = await call(where, {
        name: 'delete',
        value: nzoId,
        del_files: deleteFiles ? '1' : '0',
      });
      check(StatusSchema, body, `mode=${where}&name=delete`);
    },
    async completeDir() {
      const body = await call('get_config', { section: 'misc', keyword: 'complete_dir' });
      return check(ConfigSchema, body, 'mode=get_config').config.misc.complete_dir;
    },
  };
}
