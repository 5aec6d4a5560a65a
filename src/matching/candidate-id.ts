import { createHash } from 'node:crypto';
import type { Candidate } from '../providers/provider.js';

type Named = Pick<Candidate, 'provider' | 'username' | 'filename'>;

/**
 * A candidate's handle in the API: the same file from the same source always has the same id,
 * whichever search found it and whichever process computes it, so an id read from GET
 * /api/downloads/{id}/candidates or from a manual search still names that file after the list was
 * searched again or SoulSpot restarted. 16 base64url characters of SHA-256 (96 bits) of the
 * fields as a JSON array: unambiguous whatever characters a username or path holds (a joined
 * string is not: "a\0b" + "c" and "a" + "b\0c" would be one id).
 */
export function candidateId(c: Named): string {
  return digest(JSON.stringify([c.provider, c.username, c.filename]));
}

/**
 * Whether `wanted` names this candidate: its id, or the id an older SoulSpot handed out (the
 * fields joined with NUL), so a client holding one from before an upgrade still picks the same
 * file. The old form is taken only where it was unambiguous: no field holds a NUL.
 */
export function isCandidateId(c: Named, wanted: string): boolean {
  if (candidateId(c) === wanted) return true;
  const fields = [c.provider, c.username, c.filename];
  return !fields.some((f) => f.includes('\u0000')) && digest(fields.join('\u0000')) === wanted;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** What a candidate id looks like (route schemas validate it). */
export const CANDIDATE_ID_PATTERN = '^[A-Za-z0-9_-]{16}$';
