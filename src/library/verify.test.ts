import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, checkFlacEnd, checkMpegFrames } from './audio-integrity.js';
import { verifyAudioFile } from './verify.js';

const run = promisify(execFile);
let dir: string;
let flac: Buffer;
let mp3: Buffer;
let vbr: Buffer;

async function ffmpeg(output: string, codecArgs: string[]): Promise<void> {
  await run('/usr/bin/ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...codecArgs,
    output,
  ]);
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'soulspot-verify-'));
  await ffmpeg(file('sine.flac'), ['-c:a', 'flac']);
  await ffmpeg(file('sine.mp3'), ['-c:a', 'libmp3lame', '-b:a', '128k']);
  await ffmpeg(file('vbr.mp3'), ['-c:a', 'libmp3lame', '-q:a', '2']);
  flac = await readFile(file('sine.flac'));
  mp3 = await readFile(file('sine.mp3'));
  vbr = await readFile(file('vbr.mp3'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verifyAudioFile', () => {
  it.each([
    ['sine.flac', 'flac'],
    ['sine.mp3', 'mp3'],
    ['vbr.mp3', 'mp3'],
  ])('accepts a good %s', async (name, format) => {
    const result = await verifyAudioFile(file(name), { durationSeconds: 2, toleranceSeconds: 1 });
    expect(result).toMatchObject({ ok: true, format });
    if (result.ok) expect(result.durationSeconds).toBeCloseTo(2, 0);
  });

  it('reports the bitrate in kbps', async () => {
    expect(await verifyAudioFile(file('sine.mp3'))).toMatchObject({ ok: true, bitrate: 128 });
  });

  it('checks the exact size when given', async () => {
    expect((await verifyAudioFile(file('sine.flac'), { size: flac.length })).ok).toBe(true);
    expect(await verifyAudioFile(file('sine.flac'), { size: flac.length + 1 })).toEqual({
      ok: false,
      reason: `size ${flac.length} bytes, expected ${flac.length + 1}`,
    });
  });

  it('checks the duration against the expected one', async () => {
    const result = await verifyAudioFile(file('sine.flac'), { durationSeconds: 200 });
    expect(result).toEqual({ ok: false, reason: 'duration 2.0 s, expected 200 s ± 5' });
    expect((await verifyAudioFile(file('sine.flac'), { durationSeconds: 6 })).ok).toBe(true);
    expect(
      (await verifyAudioFile(file('sine.flac'), { durationSeconds: 6, toleranceSeconds: 3 })).ok,
    ).toBe(false);
  });

  it.each(['flac', 'mp3', 'm4a', 'ogg', 'opus', 'wav'])(
    'rejects random bytes named .%s',
    async (ext) => {
      // music-metadata alone accepts some of these as "MPEG 1 Layer 3" with a duration.
      for (let seed = 1; seed <= 25; seed++) {
        const name = file(`random-${seed}.${ext}`);
        await writeFile(name, noise(20_000 + seed * 997, seed * 7919));
        const result = await verifyAudioFile(name);
        expect(result.ok, `seed ${seed}`).toBe(false);
      }
    },
  );

  it.each([
    ['flac', () => flac],
    ['mp3', () => mp3],
    ['vbr.mp3', () => vbr],
  ])('rejects a truncated %s', async (ext, data) => {
    const bytes = data();
    for (const fraction of [0.05, 0.3, 0.5, 0.8, 0.95, 0.99]) {
      const name = file(`cut-${fraction}.${ext}`);
      await writeFile(name, bytes.subarray(0, Math.floor(bytes.length * fraction)));
      const result = await verifyAudioFile(name);
      expect(result.ok, `cut at ${fraction}`).toBe(false);
    }
  });

  it.each([
    ['flac', () => flac, 8192],
    ['mp3', () => mp3, 1024],
  ])('rejects a real %s header followed by garbage', async (ext, data, keep) => {
    const bytes = data();
    const name = file(`forged.${ext}`);
    await writeFile(name, Buffer.concat([bytes.subarray(0, keep), noise(bytes.length - keep, 42)]));
    expect((await verifyAudioFile(name)).ok).toBe(false);
  });

  it.each([
    ['flac', 'mp3', () => flac, /^not an MPEG audio stream/],
    ['mp3', 'flac', () => mp3, /^no FLAC stream marker$/],
    ['mp3', 'm4a', () => mp3, /./],
    ['flac', 'ogg', () => flac, /./],
  ])('rejects %s content named .%s', async (_content, ext, data, reason) => {
    // For other extensions music-metadata picks its parser by extension, so this fails as "no audio
    // duration" or a parse error; either way the file must not enter the library misnamed.
    await writeFile(file(`disguised.${ext}`), data());
    const result = await verifyAudioFile(file(`disguised.${ext}`));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('throws I/O errors with their code instead of blaming the file', async () => {
    // Not the file's fault (e.g. EACCES, EIO), so not a verdict on the peer's file either.
    await expect(verifyAudioFile(path.join(file('sine.flac'), 'x'))).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
  });

  it('rejects missing, empty and non-regular files', async () => {
    await writeFile(file('empty.flac'), '');
    await mkdir(file('folder.flac'), { recursive: true });
    expect(await verifyAudioFile(file('missing.flac'))).toEqual({
      ok: false,
      reason: 'file not found',
    });
    expect(await verifyAudioFile(file('empty.flac'))).toEqual({ ok: false, reason: 'empty file' });
    expect(await verifyAudioFile(file('folder.flac'))).toEqual({
      ok: false,
      reason: 'not a regular file',
    });
  });
});

describe('audio-integrity on every cut near the end', () => {
  // Byte by byte over the last stretch, so cuts exactly at frame boundaries are included: those
  // leave a well-formed but short stream, caught only by the announced frame/sample count.
  it('FLAC: the whole file passes, every shorter prefix fails', async () => {
    expect(await checkFlacEnd(bufferSource(flac))).toBeNull();
    for (let cut = flac.length - 1; cut >= flac.length - 3000; cut--) {
      expect(await checkFlacEnd(bufferSource(flac.subarray(0, cut))), `cut ${cut}`).not.toBeNull();
    }
  });

  it.each([
    ['CBR', () => mp3],
    ['VBR', () => vbr],
  ])('MP3 %s: the whole file passes, every shorter prefix fails', async (_name, data) => {
    const bytes = data();
    expect(await checkMpegFrames(bufferSource(bytes))).toBeNull();
    for (let cut = bytes.length - 1; cut >= bytes.length - 1500; cut--) {
      expect(
        await checkMpegFrames(bufferSource(bytes.subarray(0, cut))),
        `cut ${cut}`,
      ).not.toBeNull();
    }
  });

  it('MP3 tags at the end are not mistaken for truncation', async () => {
    const id3v1 = Buffer.alloc(128);
    id3v1.write('TAG');
    expect(await checkMpegFrames(bufferSource(Buffer.concat([mp3, id3v1])))).toBeNull();
  });
});
