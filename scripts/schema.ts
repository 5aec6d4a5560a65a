import { writeFileSync } from 'node:fs';
import { dumpSchema } from '../src/db/schema-dump.js';

/** `npm run schema`: writes docs/schema.sql from the migrations. */
writeFileSync(new URL('../docs/schema.sql', import.meta.url), await dumpSchema());
console.log('docs/schema.sql written');
