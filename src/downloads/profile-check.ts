import type { TrackRequest } from './download.js';

/** A request names a quality profile that does not exist. The API answers 400 with the message. */
export class UnknownProfileError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'UnknownProfileError';
  }
}

/** Which of these quality-profile ids exist (the quality-profiles service). */
export interface ProfileLookup {
  existing(ids: string[]): Promise<Set<string>>;
}

/**
 * Refuses requests that name a profile nobody has, before anything is written, with the field of
 * the first one: `body/qualityProfileId` for one request, `body/items/3/qualityProfileId` in a bulk
 * body (`prefix` is `body/` or `body/items/`). One look-up for all the distinct ids of a request.
 * The foreign key of migration 012 closes the window between this check and the insert
 * (a profile deleted meanwhile): see `isForeignKeyViolation`.
 */
export async function checkProfiles(
  lookup: ProfileLookup | undefined,
  requests: readonly TrackRequest[],
  bulk: boolean,
): Promise<void> {
  const ids = [
    ...new Set(requests.flatMap((r) => (r.qualityProfileId ? [r.qualityProfileId] : []))),
  ];
  if (ids.length === 0 || !lookup) return;
  const found = await lookup.existing(ids);
  const index = requests.findIndex((r) => r.qualityProfileId && !found.has(r.qualityProfileId));
  if (index < 0) return;
  const field = bulk ? `body/items/${index}/qualityProfileId` : 'body/qualityProfileId';
  throw new UnknownProfileError(
    `${field}: no such profile ${String(requests[index]?.qualityProfileId)} (GET /api/quality-profiles lists them)`,
  );
}

/** An insert met the foreign key of downloads.quality_profile_id: its profile was deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export const PROFILE_GONE =
  'body/qualityProfileId: no such profile (it was deleted while this request was accepted)';
