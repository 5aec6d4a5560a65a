import fc from 'fast-check';
import { ByteVector } from 'node-taglib-sharp';
import { describe, expect, it } from 'vitest';
import { concatenateBytes } from './byte-vector-concat.js';

// The library's own version, as it is before tag-file.ts installs concatenateBytes (this file
// does not load tag-file.ts).
const original = ByteVector.concatenate.bind(ByteVector);

const part = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => ByteVector.fromByteArray(b)),
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }),
  fc.integer({ min: 0, max: 255 }),
  fc.constant(null),
  fc.constant(undefined),
);

describe('concatenateBytes (ByteVector.concatenate without the per-byte calls)', () => {
  it('gives the bytes the library gives, for any mix of vectors, arrays, bytes and nulls', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const ours = concatenateBytes(...parts);
        const theirs = original(...(parts as Parameters<typeof original>));
        expect([...ours.toByteArray()]).toEqual([...theirs.toByteArray()]);
        expect(ours.isReadOnly).toBe(false);
      }),
    );
  });

  it('a view of a larger vector contributes only its own bytes', () => {
    const whole = ByteVector.fromByteArray(new Uint8Array([1, 2, 3, 4, 5]));
    const view = whole.subarray(1, 2);
    expect([...concatenateBytes(view, 9).toByteArray()]).toEqual([2, 3, 9]);
  });

  it('refuses a number that is not a byte, as the library does', () => {
    for (const bad of [256, -1, 1.5]) {
      expect(() => original(bad)).toThrow(/Byte values/);
      expect(() => concatenateBytes(bad)).toThrow(/Byte values/);
    }
  });
});
