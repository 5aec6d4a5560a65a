import type { DatabaseHandle } from '../db/database.js';
import type { DownloadStatus } from '../downloads/download.js';
import type { ExportRow } from './export.columns.js';

export interface ExportFilter {
  statuses?: DownloadStatus[];
  /** created_at in [from, to). */
  from: number;
  to: number;
}

/** One page of the export: oldest first by (created_at, id), after the keyset cursor. */
export function createExportRepository(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    /**
     * The row-value comparison starts the read at the cursor on the (created_at, id) index, so
     * page n costs what page 1 does (download.repository.ts#list explains the OR form's cost).
     */
    page(
      filter: ExportFilter,
      after: { createdAt: number; id: string } | null,
      limit: number,
    ): Promise<ExportRow[]> {
      let query = db
        .selectFrom('downloads')
        .leftJoin('attempts', 'attempts.id', 'downloads.current_attempt_id')
        .selectAll('downloads')
        .select([
          'attempts.extension as a_extension',
          'attempts.provider as a_provider',
          'attempts.username as a_username',
          'attempts.filename as a_filename',
          'attempts.bit_rate as a_bit_rate',
          'attempts.sample_rate as a_sample_rate',
          'attempts.bit_depth as a_bit_depth',
          'attempts.transfer_speed as a_transfer_speed',
        ])
        .where('downloads.created_at', '<', filter.to);
      if (filter.statuses && filter.statuses.length > 0)
        query = query.where('downloads.status', 'in', filter.statuses);
      // After the first page the cursor alone is the lower bound (it is ≥ from already): given
      // `created_at >= from` as well, SQLite started its index range there and filtered its way
      // to the cursor, every page (O(n²) over an export).
      query = after
        ? query.where((eb) =>
            eb(
              eb.refTuple('downloads.created_at', 'downloads.id'),
              '>',
              eb.tuple(after.createdAt, after.id),
            ),
          )
        : query.where('downloads.created_at', '>=', filter.from);
      return query
        .orderBy('downloads.created_at', 'asc')
        .orderBy('downloads.id', 'asc')
        .limit(limit)
        .execute();
    },
  };
}

export type ExportRepository = ReturnType<typeof createExportRepository>;
