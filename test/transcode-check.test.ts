import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPECTRUM_THRESHOLDS } from '../src/library/spectrum.js';
import { createTranscodeChecker } from '../src/library/transcode-check.js';
import { shortSlice } from '../src/library/transcode-decode.js';
import {
  corruptMiddle,
  makeMp3Transcode,
  makePadded24,
  makePinkFlac,
  makeSteepResampledFlac,
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
      makeMp3Transcode(file('real.flac'), file('mp3-256.flac'), 256),
      makeMp3Transcode(file('real.flac'), file('mp3-320.flac'), 320),
      makeSteepResampledFlac(file('steep44.flac'), 12),
      makeSteepResampledFlac(file('steep48.flac'), 12, 48_000),
      makePinkFlac(file('long.flac'), { seconds: 40 }).then(() =>
        corruptMiddle(file('long.flac'), file('corrupt.flac')),
      ),
      makePadded24(file('real.flac'), file('padded24.flac')),
      makeUpsampled(file('real.flac'), file('up96.flac')),
      makePinkFlac(file('real24.flac'), { seconds: 12, bits: 24 }),
      makePinkFlac(file('real96.flac'), { seconds: 12, sampleRate: 96_000, bits: 24 }),
      makeToneFlac(file('tone.flac'), 12),
    ]);
  }, 60_000);
  afterAll(async () => {
    await checker.close();
    rmSync(dir, { recursive: true, force: true });
  });

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

  it('keeps MP3 256 and 320 kbps flagged, the 320 cut-off below the near-Nyquist limit', async () => {
    const cut = (r: Awaited<ReturnType<typeof checker.check>>) =>
      r.status === 'checked' ? (r.cutoffHz ?? 0) : 0;
    const a = await checker.check(file('mp3-256.flac'));
    const b = await checker.check(file('mp3-320.flac'));
    expect(a).toMatchObject({ status: 'checked', verdict: 'suspect' });
    expect(b).toMatchObject({ status: 'checked', verdict: 'suspect' });
    expect(cut(a)).toBeGreaterThan(18_800);
    expect(cut(b)).toBeGreaterThan(cut(a));
    expect(cut(b)).toBeLessThanOrEqual(22_050 * SPECTRUM_THRESHOLDS.suspectUpToOfNyquist);
  });

  it('does not flag a genuine master resampled with a steep filter (soxr, 44.1 and 48 kHz)', async () => {
    const at44 = await checker.check(file('steep44.flac'));
    // The cliff is there and reported, but too near Nyquist to be an encoder's.
    expect(at44).toMatchObject({ status: 'checked', verdict: 'inconclusive' });
    const cutoff = at44.status === 'checked' ? (at44.cutoffHz ?? 0) : 0;
    expect(cutoff).toBeGreaterThan(22_050 * SPECTRUM_THRESHOLDS.suspectUpToOfNyquist);
    if (at44.status === 'checked') expect(at44.reason).toMatch(/too near Nyquist/);
    const at48 = await checker.check(file('steep48.flac'));
    expect(at48.status).toBe('checked');
    expect(at48.status === 'checked' && at48.verdict).not.toBe('suspect');
  });

  it('calls a file that decodes only in part invalid, and its intact original checked', async () => {
    const broken = await checker.check(file('corrupt.flac'));
    expect(broken).toMatchObject({ status: 'invalid' });
    if (broken.status === 'invalid') expect(broken.reason).toMatch(/decode/);
    expect(await checker.check(file('long.flac'))).toMatchObject({
      status: 'checked',
      verdict: 'clean',
    });
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

describe('shortSlice', () => {
  const RATE = 44_100;
  it('accepts slices with at least 90 % of their samples, and names the first that falls short', () => {
    const starts = [7.5, 17.5, 27.5];
    expect(shortSlice([441_000, 441_000, 400_000], starts, 10, 45, RATE)).toBeNull();
    expect(shortSlice([441_000, 111_276, 0], starts, 10, 45, RATE)).toBe(
      'only 111276 of 441000 samples decode from 18 s on',
    );
    expect(shortSlice([441_000, 441_000, 0], starts, 10, 45, RATE)).toMatch(/^only 0 of/);
  });

  it('expects a short file in full, and only something when the length is unknown', () => {
    expect(shortSlice([8 * RATE], [0], 8, 8, RATE)).toBeNull();
    expect(shortSlice([7 * RATE], [0], 8, 8, RATE)).toMatch(/only 308700 of 352800/);
    expect(shortSlice([1], [0], 30, null, RATE)).toBeNull();
    expect(shortSlice([0], [0], 30, null, RATE)).toMatch(/only 0 of 1/);
  });
});
