/**
 * The fixed list of error codes a download or an attempt can carry. They are stored as these strings
 * in the database and sent as-is over the API, so renaming one is a breaking change.
 */
export const ERROR_CODES = [
  'no_results',
  'timeout',
  'source_offline',
  'network_error',
  'rate_limited',
  'slskd_unavailable',
  'transfer_rejected',
  'transfer_failed',
  'queue_timeout',
  'file_not_found',
  'user_blocked',
  'invalid_file',
  'disk_full',
  'permission_denied',
  'cancelled',
  'unknown',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}
