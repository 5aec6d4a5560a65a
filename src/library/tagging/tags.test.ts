import { describe, expect, it } from 'vitest';
import { imageTypeOf, isTaggable, NO_TAGS, tagMismatches } from './tags.js';

const NONE = NO_TAGS;

describe('tag read-back check', () => {
  it('passes what came back as written, ignoring fields not written', () => {
    const wanted = { ...NONE, title: 'T', trackNumber: 3, trackTotal: 12, year: 2001 };
    expect(tagMismatches(wanted, { title: 'T', track: { no: 3, of: 12 }, year: 2001 })).toEqual([]);
    expect(tagMismatches(NONE, { title: 'whatever' })).toEqual([]);
  });

  it('names each field that differs or is missing', () => {
    const wanted = { ...NONE, title: 'T', genre: '13', isrc: 'USRC17607839', discTotal: 2 };
    expect(
      tagMismatches(wanted, { title: 'X', genre: ['Pop'], disk: { no: 1, of: null } }),
    ).toEqual([
      'title: wanted "T", read "X"',
      'discTotal: wanted 2, read null',
      'genre: wanted "13", read "Pop"',
      'isrc: wanted "USRC17607839", read null',
    ]);
  });

  it('checks the cover byte for byte', () => {
    const cover = { mime: 'image/png' as const, data: new Uint8Array([1, 2, 3]) };
    expect(
      tagMismatches(
        NONE,
        { picture: [{ format: 'image/png', data: new Uint8Array([1, 2, 3]) }] },
        cover,
      ),
    ).toEqual([]);
    expect(
      tagMismatches(
        NONE,
        { picture: [{ format: 'image/png', data: new Uint8Array([1, 2, 4]) }] },
        cover,
      ),
    ).toHaveLength(1);
    expect(tagMismatches(NONE, {}, cover)).toEqual([
      'cover: wanted 3 bytes of image/png, read 0 picture(s)',
    ]);
  });

  it('knows JPEG and PNG by their first bytes only', () => {
    expect(imageTypeOf(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(imageTypeOf(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      'image/png',
    );
    expect(
      imageTypeOf(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')),
    ).toBeNull();
    expect(imageTypeOf(new Uint8Array([0x47, 0x49, 0x46, 0x38]))).toBeNull(); // GIF
    expect(imageTypeOf(new Uint8Array([]))).toBeNull();
  });

  it('tags the formats it writes', () => {
    for (const ext of ['mp3', 'FLAC', 'm4a', 'ogg', 'opus']) expect(isTaggable(ext)).toBe(true);
    for (const ext of ['wav', 'aiff', 'wma', '']) expect(isTaggable(ext)).toBe(false);
  });
});
