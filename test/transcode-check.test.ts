import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranscodeChecker } from '../src/library/transcode-check.js';
import {
  makeMp3Transcode,
  makePadded24,
  makePinkFlac,
  makeToneFlac,
  makeUpsampled,
} from './helpers/transcode-audio.js';

/** The check on real files made with ffmpeg: real transcodes flagged, real lossless files not. */
describe('transcode check with ffmpeg', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-transcode-'));
  const file = (name: string) => path.join(dir, name);
  const checker = createTranscodeChecker();

  beforeAll(async () => {
    await makePinkFlac(file('real.flac'), { seconds: 12 });
    await Promise.all([
      makeMp3Transcode(file('real.flac'), file('mp3-128.flac'), 128),
      makeMp3Transcode(file('real.flac'), file('mp3-192.flac'), 192),
      makePadded24(file('real.flac'), file('padded24.flac')),
      makeUpsampled(file('real.flac'), file('up96.flac')),
      makePinkFlac(file('real24.flac'), { seconds: 12, bits: 24 }),
      makePinkFlac(file('real96.flac'), { seconds: 12, sampleRate: 96_000, bits: 24 }),
      makeToneFlac(file('tone.flac'), 12),
    ]);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('flags an MP3 128 kbps turned into FLAC, with its cut-off near 16–17 kHz', async () => {
    const result = await checker.check(file('mp3-128.flac'));
    expect(result).toMatchObject({ status: 'checked', verdict: 'suspect' });
    const cutoff = result.status === 'checked' ? (result.cutoffHz ?? 0) : 0;
    expect(cutoff).toBeGreaterThan(15_500);
    expect(cutoff).toBeLessThan(17_600);
    if (result.status === 'checked') expect(result.reason).toMatch(/spectrum stops at \d+ Hz/);
  });

  it('places an MP3 192 kbps cut-off higher than the 128 kbps one', async () => {
    const a = await checker.check(file('mp3-128.flac'));
    const b = await checker.check(file('mp3-192.flac'));
    expect(b).toMatchObject({ status: 'checked', verdict: 'suspect' });
    const cut = (r: typeof a) => (r.status === 'checked' ? (r.cutoffHz ?? 0) : 0);
    expect(cut(b)).toBeGreaterThan(cut(a) + 1000);
  });

  it('passes the same signal encoded straight to FLAC (16 and 24 bit, 44.1 and 96 kHz)', async () => {
    for (const name of ['real.flac', 'real24.flac', 'real96.flac']) {
      const result = await checker.check(file(name));
      expect(result, name).toMatchObject({ status: 'checked', verdict: 'clean' });
    }
  });

  it('calls a pure tone inconclusive, never suspect', async () => {
    const result = await checker.check(file('tone.flac'));
    expect(result).toMatchObject({ status: 'checked', verdict: 'inconclusive' });
  });

  it('flags a 24-bit file that is 16-bit audio padded with zeros', async () => {
    const result = await checker.check(file('padded24.flac'));
    expect(result).toMatchObject({ status: 'checked', verdict: 'suspect' });
    if (result.status === 'checked') expect(result.reason).toMatch(/low 8 bits are always zero/);
  });

  it('flags a 96 kHz file upsampled from 44.1 kHz, cut-off above 21 kHz', async () => {
    const result = await checker.check(file('up96.flac'));
    expect(result).toMatchObject({ status: 'checked', verdict: 'suspect' });
    const cutoff = result.status === 'checked' ? (result.cutoffHz ?? 0) : 0;
    expect(cutoff).toBeGreaterThan(21_000);
    expect(cutoff).toBeLessThan(26_000);
    if (result.status === 'checked') expect(result.reason).toMatch(/upsampled/);
  });

  it('skips, saying so, when ffmpeg is not there', async () => {
    const missing = createTranscodeChecker({ ffmpegPath: path.join(dir, 'no-such-ffmpeg') });
    expect(await missing.availability()).toMatchObject({ available: false });
    expect((await missing.availability()).message).toMatch(/ffmpeg not found/);
    const result = await missing.check(file('mp3-128.flac'));
    expect(result).toMatchObject({ status: 'skipped' });
    expect(await checker.availability()).toMatchObject({ available: true });
    expect((await checker.availability()).message).toMatch(/^ffmpeg version/);
  });
});
