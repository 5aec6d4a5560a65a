import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dl } from '../web/src/queue/download-fixture.js';
import { matchesFilter, NO_FILTER } from '../web/src/queue/rows.js';

/**
 * The queue page keeps or drops a live-patched row by its own copy of the server's text filter
 * (web/src/queue/rows.ts). Checked here against SQLite itself, with the SQL the list uses
 * (src/downloads/download.repository.ts `likePattern`: wildcards escaped, both sides lowered).
 */
describe("the UI's text filter agrees with SQLite's", () => {
  const db = new Database(':memory:');
  const query = db.prepare<[string, string], { m: number }>(
    "SELECT lower(?) LIKE lower(?) ESCAPE '\\' AS m",
  );
  const server = (hay: string, text: string): boolean =>
    query.get(hay, `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)!.m === 1;

  const letters = fc.constantFrom(...'aAäÄéÉßİıiIσΣς%_\\ zZ'.split(''));
  const word = fc.array(letters, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));

  it('for titles and filters mixing ASCII, non-ASCII, wildcards and escapes', () => {
    fc.assert(
      fc.property(word, word, (title, text) => {
        fc.pre(text.trim() !== '');
        const d = dl({ artist: '', title, album: null });
        expect(matchesFilter(d, { ...NO_FILTER, text }), `${title} / ${text}`).toBe(
          server(title, text.trim()),
        );
      }),
      { numRuns: 3000 },
    );
  });
});
