import { Readable } from 'node:stream';
import { csvHeader, csvRecord, jsonRecord, type ExportRow } from './export.columns.js';
import type { ExportFilter, ExportRepository } from './export.repository.js';

export type ExportFormat = 'csv' | 'json';

/** Rows per query: big enough to amortize a round trip, small enough to stay a few MB. */
export const EXPORT_PAGE = 1000;

/**
 * The history export as a stream, in constant memory: one page of rows is read when the consumer
 * asks for more (Readable.from pulls the generator only as the socket drains), never all of them.
 * A client that goes away ends the generator, and with it the reads. The rows are not one
 * snapshot: each page is its own query, so a download changed during a long export shows as it
 * was when its page was read; the keyset on (created_at, id), neither of which ever changes, still
 * gives every row exactly once.
 */
export function createExportService({ repo }: { repo: ExportRepository }) {
  async function* pages(filter: ExportFilter): AsyncGenerator<ExportRow[]> {
    let after: { createdAt: number; id: string } | null = null;
    for (;;) {
      const rows = await repo.page(filter, after, EXPORT_PAGE);
      if (rows.length > 0) yield rows;
      const last = rows.at(-1);
      if (!last || rows.length < EXPORT_PAGE) return;
      after = { createdAt: last.created_at, id: last.id };
    }
  }

  return {
    /**
     * CSV (RFC 4180: a header row, CRLF line ends, text cells escaped against formula injection),
     * or JSON: one array, written one page at a time (`[`, rows separated by `,\n`, `]`).
     */
    stream(format: ExportFormat, filter: ExportFilter): Readable {
      // One chunk per page: a few hundred KB, written when the socket has room for it.
      const chunks = async function* (): AsyncGenerator<string> {
        if (format === 'csv') {
          yield csvHeader();
          for await (const rows of pages(filter)) yield rows.map(csvRecord).join('');
          return;
        }
        let first = true;
        yield '[';
        for await (const rows of pages(filter)) {
          const text = rows.map((r) => JSON.stringify(jsonRecord(r))).join(',\n');
          yield `${first ? '\n' : ',\n'}${text}`;
          first = false;
        }
        yield '\n]\n';
      };
      return Readable.from(chunks(), { objectMode: false });
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
