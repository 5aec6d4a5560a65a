import type { ProviderId } from './release.js';

/**
 * Fallback across providers (docs/architecture.md, "Fallback across providers"): which indexers a
 * download searches, in which order. Pure.
 *
 * The profile's list names indexers by id; one that is not configured (removed since, or a typo
 * the API let through before it was removed) is skipped rather than failing every search. A list
 * that names none of the configured ones, or an empty list, means every configured indexer in the
 * configured order: a download must never be left with nothing to search.
 *
 * `preferred` (the download's own `preferred_provider`: a watch rule's or a request's) goes
 * first, and the profile's order follows without it, so it is searched once and the rest stay the
 * fallback. A preferred id no longer configured is ignored like an unknown one in the list: the
 * download still searches, in its profile's order.
 */
export function searchOrder(
  configured: readonly ProviderId[],
  wanted: readonly ProviderId[],
  preferred?: ProviderId | null,
): ProviderId[] {
  const known = new Set(configured);
  const listed = [...new Set(wanted)].filter((id) => known.has(id));
  const order = listed.length > 0 ? listed : [...configured];
  if (!preferred || !known.has(preferred)) return order;
  return [preferred, ...order.filter((id) => id !== preferred)];
}

/**
 * The indexer a download is on: the one its row names, when still in the order, else the first
 * (a new round, an order edited since).
 */
export function currentIndexer(
  order: readonly ProviderId[],
  stored: ProviderId | null | undefined,
): ProviderId {
  return stored && order.includes(stored) ? stored : order[0]!;
}

/** The indexer after `current` in the order, or null when it was the last. */
export function nextIndexer(order: readonly ProviderId[], current: ProviderId): ProviderId | null {
  const at = order.indexOf(current);
  return at >= 0 && at + 1 < order.length ? order[at + 1]! : null;
}
