/**
 * Width and height of a JPEG (its SOF frame header) or a PNG (its IHDR chunk), read from the bytes
 * alone, no decoder. A cover passes a byte limit yet may still claim 60000×60000 pixels, which a
 * player or a thumbnailer would try to decode into gigabytes: the dimensions are capped as well.
 */

export interface ImageSize {
  width: number;
  height: number;
}

/** Larger than any real front cover (they are rarely over 3000 px a side). */
export const MAX_COVER_PIXELS_PER_SIDE = 10_000;

export function imageSize(data: Uint8Array): ImageSize | null {
  if (data[0] === 0x89 && data[1] === 0x50) return pngSize(data);
  if (data[0] === 0xff && data[1] === 0xd8) return jpegSize(data);
  return null;
}

/** Why `data` is not acceptable as a cover image by its dimensions, or null. */
export function imageSizeProblem(data: Uint8Array): string | null {
  const size = imageSize(data);
  if (!size) return 'its dimensions cannot be read (truncated or malformed)';
  if (size.width === 0 || size.height === 0) return `it is ${size.width}×${size.height} pixels`;
  if (size.width > MAX_COVER_PIXELS_PER_SIDE || size.height > MAX_COVER_PIXELS_PER_SIDE)
    return `it is ${size.width}×${size.height} pixels, over ${MAX_COVER_PIXELS_PER_SIDE} a side`;
  return null;
}

const be16 = (d: Uint8Array, i: number): number => ((d[i] ?? 0) << 8) | (d[i + 1] ?? 0);
const be32 = (d: Uint8Array, i: number): number => be16(d, i) * 65536 + be16(d, i + 2);

function pngSize(d: Uint8Array): ImageSize | null {
  // Signature (8), then the first chunk must be IHDR: length (4), type (4), width, height.
  if (d.length < 24) return null;
  const type = String.fromCharCode(d[12]!, d[13]!, d[14]!, d[15]!);
  if (type !== 'IHDR') return null;
  return { width: be32(d, 16), height: be32(d, 20) };
}

/** SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isFrameHeader = (m: number): boolean =>
  m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(d: Uint8Array): ImageSize | null {
  let i = 2;
  while (i + 3 < d.length) {
    if (d[i] !== 0xff) return null;
    const marker = d[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Markers without a length: TEM and the restart markers.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan before a frame
    const length = be16(d, i + 2);
    if (length < 2) return null;
    if (isFrameHeader(marker)) {
      if (i + 9 > d.length) return null;
      return { height: be16(d, i + 5), width: be16(d, i + 7) };
    }
    i += 2 + length;
  }
  return null;
}
