import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const WEB_SRC = path.resolve(import.meta.dirname, '../web/src');

/** web/src/api.ts `apiPath`: an id in a path is one encoded segment, everywhere. */
describe('the web UI builds API paths with apiPath', () => {
  it('no /api/ path in web/src interpolates a value into its path without apiPath', () => {
    const root = WEB_SRC;
    const files = (readdirSync(root, { recursive: true }) as string[]).filter(
      (f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'),
    );
    expect(files.length).toBeGreaterThan(20);
    const raw: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(root, f), 'utf8');
      // A template literal whose path part (before any `?`) holds `${`, not tagged apiPath.
      for (const m of text.matchAll(/(\w*)`(\/api\/[^`?]*\$\{)/g))
        if (m[1] !== 'apiPath') raw.push(`${f}: ${m[2]}`);
    }
    expect(raw).toEqual([]);
  });
});
