import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CANDIDATE_ID_PATTERN, candidateId, isCandidateId } from './candidate-id.js';

const file = {
  provider: 'slskd',
  username: 'alice',
  filename: '@@a\\Music\\06 - Karma Police.flac',
};
const sha16 = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);

describe('candidateId', () => {
  it('is the same for the same file, whatever else the candidate says', () => {
    expect(candidateId(file)).toMatch(new RegExp(CANDIDATE_ID_PATTERN));
    expect(candidateId({ ...file })).toBe(candidateId(file));
    expect(candidateId({ ...file, username: 'bob' })).not.toBe(candidateId(file));
  });

  it('tells apart fields that a NUL-joined string would run together', () => {
    const a = { provider: 'slskd', username: 'a\u0000b', filename: 'c.flac' };
    const b = { provider: 'slskd', username: 'a', filename: 'b\u0000c.flac' };
    expect(candidateId(a)).not.toBe(candidateId(b));
    // The older form collided here, so it is not accepted for either.
    const joined = sha16('slskd\u0000a\u0000b\u0000c.flac');
    expect(isCandidateId(a, joined)).toBe(false);
    expect(isCandidateId(b, joined)).toBe(false);
  });

  it('still resolves an id of the older NUL-joined form, for the file it named', () => {
    const older = sha16(`${file.provider}\u0000${file.username}\u0000${file.filename}`);
    expect(older).not.toBe(candidateId(file));
    expect(isCandidateId(file, older)).toBe(true);
    expect(isCandidateId({ ...file, username: 'bob' }, older)).toBe(false);
    expect(isCandidateId(file, candidateId(file))).toBe(true);
  });
});
