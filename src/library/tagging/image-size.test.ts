import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImage } from '../../../test/helpers/audio-formats.js';
import { imageSize, imageSizeProblem } from './image-size.js';

/** A PNG signature and IHDR chunk claiming `width`×`height` (no pixel data: never decoded). */
function pngHeader(width: number, height: number): Uint8Array {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

/** SOI, an APP0 segment, then a baseline SOF0 frame header of `width`×`height`. */
function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [0xff, 0xc0, 0x00, 0x11, 8, height >> 8, height & 255, width >> 8, width & 255, 3];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof, ...Array(9).fill(0x11), 0xff, 0xd9]);
}

describe('cover image dimensions', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-imgsize-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['jpg', 'png'])('reads the size of a real %s made by ffmpeg', async (ext) => {
    const file = path.join(root, `c.${ext}`);
    await makeImage(file, 'green', 48);
    const data = new Uint8Array(readFileSync(file));
    expect(imageSize(data)).toEqual({ width: 48, height: 48 });
    expect(imageSizeProblem(data)).toBeNull();
  });

  it.each([
    ['PNG 20000×100', pngHeader(20_000, 100), /20000×100 pixels, over 10000/],
    ['PNG 100×65535', pngHeader(100, 65_535), /over 10000/],
    ['PNG 0×10', pngHeader(0, 10), /0×10 pixels/],
    ['JPEG 10001×10', jpegHeader(10_001, 10), /10001×10 pixels, over 10000/],
    ['JPEG truncated', jpegHeader(500, 500).slice(0, 12), /cannot be read/],
    ['PNG without IHDR', pngHeader(10, 10).fill(0, 12, 16), /cannot be read/],
  ])('refuses %s', (_name, data, message) => {
    expect(imageSizeProblem(data)).toMatch(message);
  });

  it('accepts a crafted 10000×10000 JPEG header (the limit itself)', () => {
    expect(imageSize(jpegHeader(10_000, 10_000))).toEqual({ width: 10_000, height: 10_000 });
    expect(imageSizeProblem(jpegHeader(10_000, 10_000))).toBeNull();
  });
});
