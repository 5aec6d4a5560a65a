import { expect } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import type { App } from '../../src/http/app.js';
import type { RouteName } from './api-oracle.js';
import { API_KEY } from './api-server.js';

/**
 * What the API fuzz test checks after an accepted queue-control or settings request: settings
 * read back as the oracle's model says they must be, a schedule holds the download until the time
 * sent, batch results account for every id, and the pool of known ids follows removals.
 */

type Body = Record<string, unknown>;

export interface QueueModel {
  /** The settings with nothing stored (read before the run changes any). */
  defaults: Body;
  /** The settings that must be in force: defaults, then every accepted change in order. */
  settings: Body;
  /** Ids of the downloads that exist, for ids in paths and bodies. */
  downloads: string[];
}

/** A value as it reads back once stored as JSON (-0 is 0). */
const asStored = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

async function get<T>(app: App, url: string): Promise<T> {
  const res = await app.inject({ method: 'GET', url, headers: { 'x-api-key': API_KEY } });
  expect(res.statusCode, url).toBe(200);
  return res.json<T>();
}

/** Keeps only the pooled ids that still exist: a batch `remove` deletes rows. */
async function refreshPool(app: App, model: QueueModel): Promise<void> {
  const existing = new Set<string>();
  let cursor: string | null = '';
  while (cursor !== null) {
    const page: { items: { id: string }[]; nextCursor: string | null } = await get(
      app,
      `/api/downloads?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const d of page.items) existing.add(d.id);
    cursor = page.nextCursor;
  }
  model.downloads = model.downloads.filter((id) => existing.has(id));
}

function expectOverview(overview: Body, model: QueueModel, context: string): void {
  const s = model.settings;
  expect(overview, context).toMatchObject({
    paused: s.queuePaused,
    slots: {
      maxConcurrent: s.maxConcurrent,
      maxConcurrentFiling: s.maxConcurrentFiling,
      maxFilingBacklog: s.maxFilingBacklog,
      maxQueuedAtSource: s.maxQueuedAtSource,
      maxConcurrentPerUser: s.maxConcurrentPerUser,
    },
    timeWindows: { windows: s.timeWindows, timeZone: s.timeZone },
  });
}

/** A batch or reorder result: every distinct id sent is a success or an error naming it. */
function expectBatchResult(result: Body, ids: unknown, context: string): void {
  const errors = result.errors as { id: string }[];
  expect(result.failedCount, context).toBe(errors.length);
  if (!Array.isArray(ids)) return;
  const sent = new Set(ids as string[]);
  expect((result.successCount as number) + errors.length, context).toBe(sent.size);
  for (const e of errors) expect(sent.has(e.id), context).toBe(true);
}

/** A time this far from now may fall either side of the server's clock: not judged. */
const CLOCK_SLACK_MS = 60_000;

function expectPatched(d: DownloadDto, sent: Body, context: string): void {
  // A new place takes the priority of the downloads around it, so only a lone priority is echoed.
  if (sent.priority !== undefined && sent.position === undefined)
    expect(d.priority, context).toBe(sent.priority);
  if (!('scheduledAt' in sent)) return;
  const at = sent.scheduledAt === null ? null : Date.parse(sent.scheduledAt as string);
  if (at !== null && Math.abs(at - Date.now()) < CLOCK_SLACK_MS) return;
  if (at !== null && at > Date.now()) {
    expect(d, context).toMatchObject({
      status: 'scheduled',
      scheduledAt: new Date(at).toISOString(),
    });
  } else {
    // null or a time gone by: no schedule left (a pause is not a schedule: it stays).
    expect(d.scheduledAt, context).toBeNull();
    expect(d.status, context).not.toBe('scheduled');
  }
}

export async function checkQueueRoute(
  app: App,
  route: RouteName,
  sent: unknown,
  answer: Body,
  model: QueueModel,
  context: string,
): Promise<void> {
  const body = sent as Body;
  switch (route) {
    case 'patchSettings':
      for (const [key, value] of Object.entries(body))
        model.settings[key] = value === null ? model.defaults[key] : asStored(value);
      expect(answer, context).toEqual(model.settings);
      expect(await get(app, '/api/settings'), context).toEqual(model.settings);
      return;
    case 'getSettings':
      expect(answer, context).toEqual(model.settings);
      return;
    case 'pauseQueue':
    case 'resumeQueue':
      model.settings.queuePaused = route === 'pauseQueue';
      expectOverview(answer, model, context);
      expect(await get(app, '/api/settings'), context).toEqual(model.settings);
      return;
    case 'queue':
      expectOverview(answer, model, context);
      return;
    case 'patchDownload': {
      const d = answer as unknown as DownloadDto;
      expectPatched(d, body, context);
      expect(await get(app, `/api/downloads/${d.id}`), context).toEqual(d);
      return;
    }
    case 'reorder':
      expectBatchResult(answer, body.ids, context);
      return;
    case 'batch':
      expectBatchResult(answer, body.ids, context);
      if (body.action === 'remove') await refreshPool(app, model);
      return;
    default:
      return;
  }
}
