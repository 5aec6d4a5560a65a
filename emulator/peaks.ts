// The most transfers the emulator had at once, overall and per peer: what a client's concurrency
// limits must bound, measured where the transfers are, whatever number of clients share it.
import type { Store } from './state.js';
import { isCompleted } from './state.js';
import type { TransferPeaks } from './types.js';

/** Transfers moving bytes: slskd's states between the peer's queue and the end. */
const MOVING = new Set(['Initializing', 'InProgress']);

export const createPeaks = (): TransferPeaks => ({ moving: 0, movingByUser: {}, activeByUser: {} });

/**
 * Recounts after a transfer entered a state that can raise a peak. Exact, not sampled: a transfer
 * becomes unfinished only when its record is created (enqueue) or when slskd's retry flips a failed
 * one back to "Queued, Locally", and moving only by entering "Initializing" (InProgress always
 * follows it), so the counts can rise at no other moment. A full scan keeps this obviously right;
 * records number in the hundreds.
 */
export function notePeaks(peaks: TransferPeaks, store: Store, username: string): void {
  let moving = 0;
  let userMoving = 0;
  let userActive = 0;
  for (const t of store.transfers.values()) {
    if (isCompleted(t)) continue;
    const isMoving = MOVING.has(t.state);
    if (isMoving) moving++;
    if (t.username !== username) continue;
    userActive++;
    if (isMoving) userMoving++;
  }
  peaks.moving = Math.max(peaks.moving, moving);
  peaks.movingByUser[username] = Math.max(peaks.movingByUser[username] ?? 0, userMoving);
  peaks.activeByUser[username] = Math.max(peaks.activeByUser[username] ?? 0, userActive);
}
