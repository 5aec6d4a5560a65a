import { describe, expect, it } from 'vitest';
import { blocklistBody } from './blocklist-form';

const form = (over: Partial<Parameters<typeof blocklistBody>[0]> = {}) => ({
  username: 'peer',
  filename: '',
  reason: '',
  expiresInDays: '',
  ...over,
});

describe('blocklistBody', () => {
  it('sends only the fields filled in, trimmed', () => {
    expect(blocklistBody(form({ username: ' peer ' }))).toEqual({
      ok: true,
      body: { username: 'peer' },
    });
    expect(
      blocklistBody(form({ filename: '@@x\\a.flac', reason: 'fake', expiresInDays: '0.5' })),
    ).toEqual({
      ok: true,
      body: { username: 'peer', filename: '@@x\\a.flac', reason: 'fake', expiresInDays: 0.5 },
    });
  });

  it('names every bad field', () => {
    expect(
      blocklistBody(form({ username: '  ', expiresInDays: '0', filename: 'x'.repeat(501) })),
    ).toEqual({
      ok: false,
      errors: {
        username: 'a user name is required',
        filename: 'at most 500 characters',
        expiresInDays: 'a number of days above 0',
      },
    });
    expect(blocklistBody(form({ expiresInDays: 'soon' }))).toMatchObject({ ok: false });
    expect(blocklistBody(form({ expiresInDays: '36501' }))).toMatchObject({ ok: false });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(blocklistBody(form({ username: '🎵'.repeat(100) }))).toMatchObject({ ok: true });
  });
});
