import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { withCollisionSuffix } from './naming.js';

/** How many " (n)" variants of a planned name are looked at for a file already placed. */
export const VARIANTS_LOOKED_AT = 50;

export function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Whether two regular files hold the same bytes (size first, then SHA-256). */
export async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  if (!sa?.isFile() || !sb?.isFile() || sa.size !== sb.size) return false;
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)]);
  return ha === hb;
}

/**
 * The planned library path or one of its " (n)" variants that already holds exactly the bytes of
 * `source`: a filing that was interrupted after placing the file (crash, lost database write,
 * another owner that got there first). Adopting it is what keeps a second owner from writing
 * "Title (2).flac" for the same download.
 */
export async function findIdentical(planned: string, source: string): Promise<string | null> {
  const sourceStat = await stat(source).catch(() => null);
  // Without the source there is nothing to compare with; a file at the target may be another track's.
  if (!sourceStat?.isFile()) return null;
  const dir = path.dirname(planned);
  const base = path.basename(planned);
  let sourceHash: string | null = null;
  for (let n = 1; n <= VARIANTS_LOOKED_AT; n++) {
    const candidate = path.join(dir, withCollisionSuffix(base, n));
    const s = await stat(candidate).catch(() => null);
    if (!s?.isFile() || s.size !== sourceStat.size) continue;
    sourceHash ??= await sha256(source);
    if ((await sha256(candidate)) === sourceHash) return candidate;
  }
  return null;
}

/**
 * The planned path or one of its " (n)" variants whose content has this SHA-256: a post-processed
 * file placed before a crash (its bytes are no longer slskd's, so findIdentical cannot see it).
 */
export async function findByDigest(planned: string, digest: string): Promise<string | null> {
  const dir = path.dirname(planned);
  const base = path.basename(planned);
  for (let n = 1; n <= VARIANTS_LOOKED_AT; n++) {
    const candidate = path.join(dir, withCollisionSuffix(base, n));
    const s = await stat(candidate).catch(() => null);
    if (!s?.isFile()) continue;
    if ((await sha256(candidate)) === digest) return candidate;
  }
  return null;
}
