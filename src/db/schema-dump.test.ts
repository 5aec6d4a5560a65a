import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dumpSchema } from './schema-dump.js';

describe('docs/schema.sql', () => {
  it('is the schema the migrations produce (run `npm run schema` after adding one)', async () => {
    const committed = readFileSync(new URL('../../docs/schema.sql', import.meta.url), 'utf8');
    expect(committed).toBe(await dumpSchema());
  });
});
