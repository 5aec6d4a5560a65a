// /api/v0/transfers/downloads…: batch (0.26+) and legacy enqueue, the grouped listing, single
// transfers, queue position, cancel/remove. Validation order and messages follow slskd-api.md §5.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from './context.js';
import { traverses } from './files.js';
import { ApiError, field, isGuid, newGuid, now } from './format.js';
import { API, jsonBody, queryFlag, sendEmpty, sendJson, TOO_MANY } from './respond.js';
import type { BatchRecord, TransferRecord } from './state.js';
import { batchJson, groupByUser, isCompleted, transferJson } from './state.js';

type Params = Record<string, string>;
const params = (req: FastifyRequest): Params => req.params as Params;

/** `[{ filename, size }]` from a request; `where` names the field in error messages. */
function fileList(value: unknown, where: string): { filename: string; size: number }[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ApiError(400, `${where} must contain at least one file`);
  }
  return value.map((item: unknown) => {
    const filename = field(item, 'filename');
    const size = field(item, 'size');
    if (typeof filename !== 'string' || filename.trim() === '') {
      throw new ApiError(400, 'Filename is required');
    }
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw new ApiError(400, `Size of ${filename} must be an integer >= 0`);
    }
    if (filename.split(/[\\/]/).some((s) => s === '.' || s === '..')) {
      throw new ApiError(400, `Filename ${filename} contains a relative path segment`);
    }
    return { filename, size };
  });
}

export function transferRoutes(app: FastifyInstance, ctx: Context): void {
  const { store, features } = ctx;
  const D = `${API}/transfers/downloads`;

  /** The two enqueue endpoints share one gate of 2 (§8); the short wait stands in for peer lookup. */
  const gated = async (
    reply: FastifyReply,
    work: () => FastifyReply | Promise<FastifyReply>,
  ): Promise<FastifyReply> => {
    if (ctx.gates.enqueue >= 2) return sendJson(reply, 429, TOO_MANY);
    ctx.gates.enqueue++;
    try {
      await sleep(5);
      return await work();
    } finally {
      ctx.gates.enqueue--;
    }
  };
  /**
   * slskd connects to the peer before it records any transfer (DownloadService.EnqueueAsync:
   * ConnectToUserAsync), so a slow peer holds the POST open with nothing recorded yet, and an
   * unreachable one makes it fail with Soulseek.NET's connection error.
   */
  const connect = async (username: string): Promise<void> => {
    const delay = ctx.peers.behaviour(username).enqueueDelayMs ?? 0;
    if (delay > 0) await sleep(delay);
    if (ctx.peers.behaviour(username).unreachable) {
      const { address, port } = ctx.peers.endpoint(username);
      throw new ApiError(
        500,
        `Failed to establish a direct or indirect message connection to ${username} (${address}:${port})`,
      );
    }
  };
  const notLoggedIn = (): ApiError =>
    new ApiError(
      500,
      'The server connection must be connected and logged in to download files (currently: Disconnected)',
    );

  if (features.batches) {
    app.post(`${D}/batches`, (req, reply) =>
      gated(reply, async () => {
        const body = jsonBody(req);
        const username = field(body, 'username');
        if (typeof username !== 'string' || username.length < 1 || username.length > 500) {
          throw new ApiError(400, 'Username must be between 1 and 500 characters');
        }
        const files = fileList(field(body, 'files'), 'Files');
        if (new Set(files.map((f) => f.filename)).size !== files.length) {
          throw new ApiError(400, 'Two or more files in the request are repeated');
        }
        const id = field(body, 'id') ?? undefined;
        const searchId = field(body, 'searchId') ?? undefined;
        if ((id !== undefined && !isGuid(id)) || (searchId !== undefined && !isGuid(searchId))) {
          throw new ApiError(400, 'Id and SearchId must be GUIDs');
        }
        const destination = field(field(body, 'options'), 'destination') ?? undefined;
        if (
          destination !== undefined &&
          (typeof destination !== 'string' || traverses(destination))
        ) {
          throw new ApiError(400, 'Destination must be a relative path that does not traverse');
        }
        const batchId = (id as string | undefined)?.toLowerCase() ?? newGuid();
        if (store.batches.has(batchId)) {
          throw new ApiError(409, `A batch with ID ${batchId} already exists`);
        }
        if (!ctx.loggedIn) throw notLoggedIn();
        if (!ctx.peers.isOnline(username)) {
          throw new ApiError(404, `User ${username} appears to be offline`);
        }
        const batch: BatchRecord = {
          id: batchId,
          searchId: (searchId as string | undefined)?.toLowerCase(),
          username,
          createdAt: now(),
          destination: destination as string | undefined,
          transferIds: [],
        };
        // slskd saves the batch before it connects to the peer: during a slow connect the batch is
        // there without transfers, and after a failed one it stays behind, empty.
        store.batches.set(batch.id, batch);
        await connect(username);
        const { enqueued, failures } = ctx.transfers.enqueue(username, files, batch);
        const status = failures.length === 0 ? 201 : enqueued.length === 0 ? 200 : 207;
        return sendJson(reply, status, { batch: batchJson(batch, store, features), failures });
      }),
    );
    app.get(`${D}/batches/:id`, (req, reply) => {
      const id = params(req).id ?? '';
      if (!isGuid(id)) throw new ApiError(400);
      const batch = store.batches.get(id.toLowerCase());
      if (!batch) throw new ApiError(404);
      return sendJson(reply, 200, batchJson(batch, store, features));
    });
  } else {
    // Legacy mode: no batch API at all, so a client can tell from the 404.
    app.post(`${D}/batches`, (_req, reply) => sendEmpty(reply, 404));
  }

  // Legacy enqueue: 201 even when everything was skipped; `failed` items serialize as {} (§5.1).
  app.post(`${D}/:username`, (req, reply) =>
    gated(reply, async () => {
      const username = params(req).username ?? '';
      const files = fileList(jsonBody(req), 'The request');
      const pairs = new Set(files.map((f) => `${f.filename}\n${f.size}`));
      if (pairs.size !== files.length) {
        throw new ApiError(500, 'Two or more files in the request are repeated');
      }
      if (!ctx.loggedIn) throw notLoggedIn();
      if (!ctx.peers.isOnline(username)) {
        throw new ApiError(500, `User ${username} appears to be offline`);
      }
      await connect(username);
      const { enqueued, failures } = ctx.transfers.enqueue(username, files);
      if (!features.legacyEnqueueBody) return sendEmpty(reply, 201);
      return sendJson(reply, 201, {
        enqueued: enqueued.map((t) => transferJson(t, features)),
        failed: failures.map(() => ({})),
      });
    }),
  );

  app.get(D, (req, reply) => {
    const includeRemoved = queryFlag((req.query as Record<string, string>).includeRemoved);
    const list = [...store.transfers.values()].filter((t) => includeRemoved || !t.removed);
    return sendJson(reply, 200, groupByUser(list, features));
  });
  app.get(`${D}/:username`, (req, reply) => {
    const username = params(req).username;
    const list = [...store.transfers.values()].filter((t) => t.username === username && !t.removed);
    // No downloads left for the user → 404 with an empty body, not an empty group (§9 quirk 4).
    if (list.length === 0) return sendEmpty(reply, 404);
    return sendJson(reply, 200, groupByUser(list, features)[0]);
  });

  /** Looks a transfer up by id only: slskd does not check the username in the path. */
  const findTransfer = (req: FastifyRequest): TransferRecord => {
    const id = params(req).id ?? '';
    if (!isGuid(id)) throw new ApiError(400);
    const t = store.transfers.get(id.toLowerCase());
    if (!t) throw new ApiError(404);
    return t;
  };
  app.get(`${D}/:username/:id`, (req, reply) =>
    sendJson(reply, 200, transferJson(findTransfer(req), features)),
  );
  app.get(`${D}/:username/:id/position`, (req, reply) =>
    sendJson(reply, 200, ctx.transfers.position(findTransfer(req))),
  );
  app.delete(`${D}/:username/:id`, (req, reply) => {
    const id = params(req).id ?? '';
    if (!isGuid(id)) throw new ApiError(400);
    ctx.transfers.cancel(id.toLowerCase(), queryFlag((req.query as Record<string, string>).remove));
    return sendEmpty(reply, 204);
  });
  app.delete(`${D}/all/completed`, (_req, reply) => {
    for (const t of store.transfers.values()) if (isCompleted(t)) t.removed = true;
    return sendEmpty(reply, 204);
  });
}
