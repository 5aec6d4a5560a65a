import { ByteVector } from 'node-taglib-sharp';

/**
 * node-taglib-sharp 6.0.3's `ByteVector.concatenate` copies byte by byte through a closure that
 * calls a bounds-checked `get(i)` for every byte. Rendering a FLAC/MP4/ID3 tag with a cover runs
 * the cover's bytes through it several times (picture block, metadata blocks, padding), which was
 * most of the tag worker's CPU time per file (about 2 ms for a 60 KB JPEG). This is the same
 * function with `Uint8Array.set`: same result (a new writable vector holding the inputs in order,
 * null and undefined skipped, a number taken as one byte and refused unless it is a byte), no
 * per-byte calls. Installed once by tag-file.ts, in the tag worker only; checked against the
 * library's own version in byte-vector-concat.test.ts.
 */
type Part = ByteVector | Uint8Array | number[] | number | null | undefined;

export function concatenateBytes(...vectors: Part[]): ByteVector {
  let total = 0;
  for (const v of vectors) {
    if (v === undefined || v === null) continue;
    total += typeof v === 'number' ? 1 : v.length;
  }
  const result = ByteVector.fromSize(total);
  // toByteArray is the vector's own storage (not a copy): filled in place.
  const out = result.toByteArray();
  let position = 0;
  for (const v of vectors) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'number') {
      // The library's own guard and message (Guards.byte).
      if (!Number.isSafeInteger(v) || v < 0 || v > 0xff)
        throw new Error(
          'Argument out of range: Byte values must be a safe, positive, 8-bit integer',
        );
      out[position++] = v;
      continue;
    }
    out.set(v instanceof ByteVector ? v.toByteArray() : v, position);
    position += v.length;
  }
  return result;
}

let installed = false;

/** Replaces ByteVector.concatenate with concatenateBytes (idempotent). */
export function installFastConcatenate(): void {
  if (installed) return;
  installed = true;
  (ByteVector as unknown as { concatenate: typeof concatenateBytes }).concatenate =
    concatenateBytes;
}
