import { createHash } from 'node:crypto';
import type { Candidate } from '../providers/provider.js';

/**
 * A candidate's handle in the API: the same file from the same source always has the same id,
 * whichever search found it, so an id read from GET /api/downloads/{id}/candidates or from a
 * manual search still names that file after the list was searched again. 16 base64url characters
 * of SHA-256 (96 bits): collisions within one download's few hundred candidates do not happen.
 */
export function candidateId(c: Pick<Candidate, 'provider' | 'username' | 'filename'>): string {
  return createHash('sha256')
    .update(`${c.provider}\u0000${c.username}\u0000${c.filename}`)
    .digest('base64url')
    .slice(0, 16);
}

/** What a candidate id looks like (route schemas validate it). */
export const CANDIDATE_ID_PATTERN = '^[A-Za-z0-9_-]{16}$';
