import type { Db } from '../db/database.js';
import { TERMINAL_STATUSES } from './download.js';
import type { QueueControlRepository } from './queue-control.repository.js';
import { planMove, type Anchor } from './queue-order.js';

/**
 * Reorder inside the caller's transaction (`POST /api/downloads/reorder`, and a PATCH's
 * `position`, which must commit or roll back with the PATCH's other parts). Writes only the moved
 * rows (queue-order.ts plans their new keys).
 */

export type ReorderTarget = { before: string } | { after: string } | { index: number } | null;

/** A command that cannot be carried out as asked (a 400 naming the field). */
export class QueueCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueCommandError';
  }
}

/** Why an id was not moved (the batch result's error shape). */
export interface ReorderError {
  id: string;
  code: 'not_found' | 'conflict';
  message: string;
}

/** The moves of a reorder inside `tx`; what it could not move, and why. */
export async function reorderIn(
  control: QueueControlRepository,
  now: () => number,
  tx: Db,
  ids: string[],
  target: ReorderTarget,
): Promise<{ moved: string[]; errors: ReorderError[] }> {
  const unique = [...new Set(ids)];
  const anchorId =
    target && 'before' in target
      ? target.before
      : target && 'after' in target
        ? target.after
        : null;
  if (anchorId !== null && unique.includes(anchorId))
    throw new QueueCommandError(
      'body: the download to place them next to cannot be one of those moved',
    );
  const found = new Map((await control.placed(unique, tx)).map((p) => [p.id, p]));
  const finished = (id: string) =>
    (TERMINAL_STATUSES as readonly string[]).includes(found.get(id)!.status);
  const moving = unique.filter((id) => found.has(id) && !finished(id));
  const skip = new Set(moving);
  let anchor: Anchor;
  if (target === null || 'index' in target) {
    // The n-th waiting download that is not moved becomes the one to place them before.
    const index = target === null ? 0 : target.index;
    const rows = await control.head(moving.length + 1, index, tx);
    const at = rows.find((p) => !skip.has(p.id));
    if (index === 0 || !at)
      anchor = index === 0 ? { kind: 'head', first: at ?? null } : await after(control, tx, skip);
    else anchor = await near(control, at, 'before', skip, moving.length, tx);
  } else {
    const [placed] = await control.placed([anchorId!], tx);
    if (!placed) throw new QueueCommandError(`body: download ${anchorId} not found`);
    anchor = await near(
      control,
      placed,
      'before' in target ? 'before' : 'after',
      skip,
      moving.length,
      tx,
    );
  }
  for (const m of planMove(moving, anchor)) await control.move(m, now(), tx);
  return {
    moved: moving,
    errors: unique
      .filter((id) => !skip.has(id))
      .map((id) =>
        found.has(id)
          ? {
              id,
              code: 'conflict' as const,
              message: `Download is ${found.get(id)!.status}; finished downloads have no place in the queue`,
            }
          : { id, code: 'not_found' as const, message: `Download ${id} not found` },
      ),
  };
}

/** The neighbour of a download on one side within its priority, skipping the moved ones. */
async function near(
  control: QueueControlRepository,
  target: { id: string; priority: number; position: string },
  side: 'before' | 'after',
  skip: Set<string>,
  moving: number,
  tx: Db,
): Promise<Anchor> {
  const next =
    (await control.neighbours(target, side, moving + 1, tx)).find((p) => !skip.has(p.id)) ?? null;
  return side === 'before'
    ? { kind: 'before', target, previous: next }
    : { kind: 'after', target, next };
}

/** After the last waiting download that is not moved: a place past the end of the queue. */
async function after(control: QueueControlRepository, tx: Db, skip: Set<string>): Promise<Anchor> {
  const last = (await control.tail(skip.size + 1, tx)).find((p) => !skip.has(p.id));
  return last ? { kind: 'after', target: last, next: null } : { kind: 'head', first: null };
}
