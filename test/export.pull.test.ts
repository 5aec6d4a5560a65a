import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDownloadRow } from '../src/downloads/accept.js';
import { createExportRepository, type ExportRepository } from '../src/export/export.repository.js';
import { createExportService, EXPORT_PAGE } from '../src/export/export.service.js';
import { freshDb, type TestDb } from './helpers/db.js';
import { sleep } from './helpers/wait.js';

const ROWS = EXPORT_PAGE * 20;

/**
 * The export reads the database only as fast as its reader takes the text: a client that stops
 * reading (or a slow link) holds one page in memory, not the whole history, and one that goes
 * away ends the reads. The counting wrapper is around the real repository on a real database.
 */
describe('the history export pulls pages only as they are read', () => {
  let db: TestDb;
  let pages = 0;
  let counted: ExportRepository;

  beforeAll(async () => {
    db = await freshDb('sqlite');
    const t0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < ROWS; i += 500) {
      const rows = Array.from({ length: 500 }, (_, k) =>
        newDownloadRow({ artist: `Artist ${i + k}`, title: `Title ${i + k}` }, t0 + i + k, 3),
      );
      await db.db.insertInto('downloads').values(rows).execute();
    }
    const repo = createExportRepository(db);
    counted = {
      page: (...args) => {
        pages++;
        return repo.page(...args);
      },
    };
  });
  afterAll(() => db.cleanup());

  const filter = { from: 0, to: Date.UTC(2030, 0, 1) };

  it.each(['csv', 'json'] as const)(
    '%s: a reader that stops holds a page or two',
    async (format) => {
      pages = 0;
      const stream = createExportService({ repo: counted }).stream(format, filter);
      const first = await new Promise<string>((resolve) =>
        stream.once('data', (chunk: Buffer) => {
          stream.pause();
          resolve(chunk.toString());
        }),
      );
      expect(first.length).toBeGreaterThan(0);
      await sleep(300);
      expect(pages).toBeLessThanOrEqual(3);
      expect(stream.readableLength).toBeLessThan(2 * 1024 * 1024);
      // A reader that goes away ends the reads.
      stream.destroy();
      const after = pages;
      await sleep(200);
      expect(pages).toBe(after);
    },
  );

  it('a reader that reads everything gets every row once', async () => {
    pages = 0;
    let text = '';
    for await (const chunk of createExportService({ repo: counted }).stream('csv', filter))
      text += String(chunk);
    expect(text.trimEnd().split('\r\n')).toHaveLength(ROWS + 1);
    expect(pages).toBe(ROWS / EXPORT_PAGE + 1);
  });
});
