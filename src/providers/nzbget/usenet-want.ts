import type { TrackTarget } from '../../matching/track-match.js';

/*
 * The wanted track of a job, kept where a restart finds it: in the provider's memory, and (where the
 * client stores free parameters, as NZBGet does) on the job itself as JSON. Read back defensively:
 * the job's parameters are the client's, and a user may edit them.
 */

export function encodeWant(want: TrackTarget): string {
  const { artist, title, album, durationSeconds, keywords } = want;
  return JSON.stringify({ artist, title, album, durationSeconds, keywords });
}

const optionalString = (v: unknown): v is string | null | undefined =>
  v === undefined || v === null || typeof v === 'string';

export function decodeWant(text: string | undefined): TrackTarget | undefined {
  if (text === undefined || text.length > 4_000) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.artist !== 'string' || typeof v.title !== 'string') return undefined;
  if (!optionalString(v.album) || !optionalString(v.keywords)) return undefined;
  const duration = v.durationSeconds;
  if (duration !== undefined && duration !== null && typeof duration !== 'number') return undefined;
  const want: TrackTarget = { artist: v.artist, title: v.title };
  if (v.album !== undefined) want.album = v.album;
  if (v.keywords !== undefined) want.keywords = v.keywords;
  if (duration !== undefined) want.durationSeconds = duration;
  return want;
}

/** Wanted tracks by batch id, bounded (old entries go first). */
export function createWantMemo(limit = 5_000) {
  const map = new Map<string, TrackTarget>();
  return {
    remember(batchId: string, want: TrackTarget | undefined): void {
      if (want === undefined) return;
      map.delete(batchId.toLowerCase());
      map.set(batchId.toLowerCase(), want);
      if (map.size > limit) map.delete(map.keys().next().value as string);
    },
    get(batchId: string | undefined): TrackTarget | undefined {
      return batchId === undefined ? undefined : map.get(batchId.toLowerCase());
    },
  };
}
