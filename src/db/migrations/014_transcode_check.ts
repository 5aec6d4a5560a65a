import type { Kysely } from 'kysely';

/**
 * The fake-lossless check (issue 8 part 5), on the download (the file filed) and on each attempt
 * (every source whose file was checked, so the candidates list shows a rejected suspect too):
 *
 * - `transcode_check`: clean | suspect | inconclusive | skipped; skipped is recorded, never left
 *   blank, so a file filed while ffmpeg was missing is told apart from one that was checked.
 * - `suspect_transcode`: 1 / 0, null = not checked (a lossy file, or not filed yet). An integer
 *   rather than a boolean: the same type in SQLite and PostgreSQL, as elsewhere in this schema.
 * - `transcode_cutoff_hz`: where the spectrum stops, when a cliff was found.
 *
 * All nullable with no default, so adding them rewrites no row on either engine.
 */
const COLUMNS = ['transcode_check', 'suspect_transcode', 'transcode_cutoff_hz'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['downloads', 'attempts']) {
    for (const column of COLUMNS) {
      const type = column === 'transcode_check' ? 'text' : 'integer';
      await db.schema.alterTable(table).addColumn(column, type).execute();
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['attempts', 'downloads']) {
    for (const column of [...COLUMNS].reverse()) {
      await db.schema.alterTable(table).dropColumn(column).execute();
    }
  }
}
