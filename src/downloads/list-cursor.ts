import type { DownloadRow } from './download.repository.js';

/**
 * The keyset cursor of GET /api/downloads: base64url of [created_at, id] of a page's last row.
 */
export function encodeCursor(row: DownloadRow): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

const ROW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    // Only what encodeCursor makes: base64url of [epoch-ms integer, row id (a UUID)]. Anything
    // else would reach the keyset query as a value PostgreSQL cannot compare with a BIGINT or hold
    // in text (a 500), and Buffer's decoder would otherwise skip characters outside the alphabet.
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('alphabet');
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) throw new Error('shape');
    const [createdAt, id] = value as unknown[];
    if (!Number.isSafeInteger(createdAt) || typeof id !== 'string' || !ROW_ID.test(id))
      throw new Error('shape');
    return { createdAt: createdAt as number, id };
  } catch {
    throw new BadCursorError();
  }
}

/** Where a queue-order page (`order=queue`) ended: the row's place in the queue's sort key. */
export interface QueueCursor {
  priority: number;
  position: string;
  createdAt: number;
  id: string;
}

/** The keyset cursor of `order=queue`: base64url of ["q", priority, position, created_at, id]. */
export function encodeQueueCursor(row: DownloadRow): string {
  return Buffer.from(
    JSON.stringify(['q', row.priority, row.position, row.created_at, row.id]),
  ).toString('base64url');
}

/** Fractional keys (queue-order.ts) are base-62 digits; nothing else is ever a position. */
const POSITION = /^[0-9A-Za-z]{1,200}$/;

export function decodeQueueCursor(cursor: string): QueueCursor {
  try {
    // The same rule as decodeCursor: only what encodeQueueCursor makes reaches the query.
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('alphabet');
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 5 || value[0] !== 'q') throw new Error('shape');
    const [, priority, position, createdAt, id] = value as unknown[];
    if (
      !Number.isSafeInteger(priority) ||
      typeof position !== 'string' ||
      !POSITION.test(position) ||
      !Number.isSafeInteger(createdAt) ||
      typeof id !== 'string' ||
      !ROW_ID.test(id)
    )
      throw new Error('shape');
    return {
      priority: priority as number,
      position,
      createdAt: createdAt as number,
      id,
    };
  } catch {
    throw new BadCursorError();
  }
}

export class BadCursorError extends Error {
  constructor() {
    super('cursor is not valid; use the nextCursor value of the previous page');
    this.name = 'BadCursorError';
  }
}
