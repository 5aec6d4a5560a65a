import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textMatches } from '../src/downloads/download.repository.js';
import { dl } from '../web/src/queue/download-fixture.js';
import { matchesFilter, NO_FILTER } from '../web/src/queue/rows.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

/**
 * The queue page keeps or drops a live-patched row by its own copy of the server's text filter
 * (web/src/queue/rows.ts). Checked here against each database itself, running the very SQL the
 * list and the batch filters use (src/downloads/download.repository.ts `textMatches`).
 */
describe.each(testDialects())("the UI's text filter agrees with the server's on %s", (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDb(dialect);
  });
  afterAll(async () => {
    await db.cleanup();
  });

  const server = async (
    artist: string,
    title: string,
    text: string,
    album: string | null = null,
  ): Promise<boolean> => {
    const { rows } = await sql<{ m: number | boolean }>`
      SELECT CASE WHEN ${textMatches(text, dialect)} THEN 1 ELSE 0 END AS m
      FROM (SELECT CAST(${artist} AS TEXT) AS artist, CAST(${title} AS TEXT) AS title,
                   CAST(${album} AS TEXT) AS album) AS t`.execute(db.db);
    return Number(rows[0]!.m) === 1;
  };

  const letters = fc.constantFrom(...'aAäÄéÉßİıiIσΣς%_\\ zZ'.split(''));
  const word = fc.array(letters, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));

  it('for titles and filters mixing ASCII, non-ASCII, wildcards and escapes', async () => {
    await fc.assert(
      fc.asyncProperty(word, word, fc.option(word), word, async (artist, title, album, text) => {
        fc.pre(text.trim() !== '');
        const d = dl({ artist, title, album });
        expect(
          matchesFilter(d, { ...NO_FILTER, text }),
          `${artist} / ${title} / ${album} / ${text}`,
        ).toBe(await server(artist, title, text.trim(), album));
      }),
      { numRuns: dialect === 'postgres' ? 400 : 1500 },
    );
  });

  it('folds A–Z only, on both engines: "ä" does not find "Ä", "a" finds "A"', async () => {
    expect(await server('Ägypten', '', 'ägypten')).toBe(false);
    expect(await server('Ägypten', '', 'Ägypten')).toBe(true);
    expect(await server('ABBA', '', 'abba')).toBe(true);
    expect(await server('50% off', '', '0%')).toBe(true);
    expect(await server('500 off', '', '0%')).toBe(false);
    expect(await server('x', 'y', 'abba', 'ABBA Gold')).toBe(true);
    expect(await server('x', 'y', "it's", "It's_50%\\")).toBe(true);
    expect(await server('x', 'y', '_', 'a')).toBe(false);
  });
});
