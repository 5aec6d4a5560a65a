import type { ErrorCode } from '../../downloads/error-codes.js';

/**
 * Why a Usenet job failed, in words both clients' states reduce to (NZBGet's history statuses,
 * SABnzbd's fail messages and stage log), and the fixed error code each one is stored under. Pure
 * data; `usenet-failures.test.ts` checks the invariants.
 */
export const USENET_FAILURES = {
  // Articles gone from the server (expired, taken down): the same NZB fails the same way, so the
  // release is not asked for again (file_not_found blocks that file, not the indexer).
  missing_articles: {
    code: 'file_not_found',
    message: 'articles are missing on the Usenet server (health below critical)',
  },
  par_failed: { code: 'invalid_file', message: 'the par2 repair failed: the release is damaged' },
  unpack_failed: { code: 'invalid_file', message: 'unpacking the release failed' },
  password: {
    code: 'invalid_file',
    message: 'the release is password-protected or encrypted',
  },
  invalid_nzb: { code: 'invalid_file', message: 'the client could not read the NZB' },
  disk_full: { code: 'disk_full', message: "the download client's disk is full" },
  dupe: {
    code: 'transfer_rejected',
    message: 'the download client dropped the job as a duplicate',
  },
  move_failed: {
    code: 'transfer_failed',
    message: 'the download client could not move the finished files',
  },
  cancelled: { code: 'cancelled', message: 'the job was deleted in the download client' },
  unknown: { code: 'unknown', message: 'the download failed' },
} as const satisfies Record<string, { code: ErrorCode; message: string }>;

export type UsenetFailure = keyof typeof USENET_FAILURES;

export const USENET_FAILURE_KINDS = Object.keys(USENET_FAILURES) as UsenetFailure[];

/** The code and a message for the user: the kind's sentence, with the client's own words after. */
export function describeUsenetFailure(
  client: string,
  kind: UsenetFailure,
  detail?: string,
): { code: ErrorCode; message: string } {
  const row = USENET_FAILURES[kind];
  const extra =
    detail !== undefined && detail.trim() !== ''
      ? ` (${client}: ${detail.trim().slice(0, 300)})`
      : ` (${client})`;
  return { code: row.code, message: `${row.message}${extra}` };
}
