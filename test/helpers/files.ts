import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** SHA-256 of a file's bytes: "the library holds exactly this source's file". */
export const sha = (file: string): string =>
  createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every file below dir (hidden and temporary ones included: they must be counted too). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}
