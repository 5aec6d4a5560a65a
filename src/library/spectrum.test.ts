import { describe, expect, it } from 'vitest';
import {
  averageSpectrum,
  averageSpectrumSteps,
  findCliff,
  paddedBitDepth,
  significantBits,
  SPECTRUM_THRESHOLDS,
} from './spectrum.js';

const RATE = 44_100;

/** A deterministic pseudo-random source, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Many sinusoids with random phases up to `topHz` (a stand-in for broadband music with a sharp
 * low-pass when `topHz` is below Nyquist), rounded to 16 bit as a FLAC would hold it.
 */
function multitone(seconds: number, topHz: number, tiltDbPerKhz = 0, seed = 1): Float32Array {
  const next = random(seed);
  const out = new Float32Array(Math.round(seconds * RATE));
  const tones: [number, number, number][] = [];
  for (let hz = 60; hz < topHz; hz += 37) {
    tones.push([hz, 0.01 * 10 ** ((-tiltDbPerKhz * hz) / 1000 / 20), next() * 2 * Math.PI]);
  }
  for (const [hz, amp, phase] of tones) {
    const w = (2 * Math.PI * hz) / RATE;
    for (let i = 0; i < out.length; i++)
      out[i] = (out[i] as number) + amp * Math.sin(w * i + phase);
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.round((out[i] as number) * 32_767) / 32_767;
  return out;
}

const judge = (samples: Float32Array) => findCliff(averageSpectrum([samples], RATE));

describe('findCliff', () => {
  it('finds a sharp low-pass at 16 kHz, with the cut-off within 300 Hz', () => {
    const finding = judge(multitone(2, 16_000));
    expect(finding.verdict).toBe('suspect');
    expect(Math.abs((finding.cutoffHz ?? 0) - 16_000)).toBeLessThan(300);
    expect(finding.reason).toMatch(/spectrum stops at \d+ Hz/);
  });

  it('finds one at 19.5 kHz too, and none in content that reaches 21.5 kHz', () => {
    expect(judge(multitone(2, 19_500)).verdict).toBe('suspect');
    expect(judge(multitone(2, 21_500))).toMatchObject({ verdict: 'clean' });
  });

  it('reports a cliff too near Nyquist (20.9 kHz at 44.1 kHz) as inconclusive, never suspect', () => {
    // A steep anti-alias filter of a genuine master stops here as sharply as an encoder would.
    const finding = judge(multitone(2, 20_900));
    expect(finding.verdict).toBe('inconclusive');
    expect(finding.cutoffHz).toBeGreaterThan((RATE / 2) * SPECTRUM_THRESHOLDS.suspectUpToOfNyquist);
    expect(finding.reason).toMatch(/too near Nyquist/);
    // Just below the limit it is still an encoder's cut-off (MP3 320 kbps sits at ~20.1 kHz).
    expect(judge(multitone(2, 20_100)).verdict).toBe('suspect');
  });

  it('does not call a gradual roll-off a cliff', () => {
    // 3 dB per kHz: 60 dB down from bass to 20 kHz, steady, no edge anywhere.
    expect(judge(multitone(2, 21_500, 3)).verdict).not.toBe('suspect');
  });

  it('leaves a cliff at a frequency no encoder uses alone (13 kHz)', () => {
    expect(judge(multitone(2, 13_000)).verdict).not.toBe('suspect');
  });

  it('calls a pure tone, digital silence and a short clip inconclusive', () => {
    const tone = new Float32Array(2 * RATE).map(
      (_, i) => Math.round(0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE) * 32_767) / 32_767,
    );
    expect(judge(tone).verdict).toBe('inconclusive');
    expect(judge(new Float32Array(2 * RATE)).verdict).toBe('inconclusive');
    const short = multitone(0.1, 16_000);
    expect(judge(short)).toMatchObject({ verdict: 'inconclusive', reason: /too little sound/ });
  });

  it('says nothing about a 22.05 kHz file: its spectrum ends below every encoder cut-off', () => {
    const samples = multitone(2, 10_000);
    const finding = findCliff(averageSpectrum([samples], 22_050));
    expect(finding.verdict).toBe('inconclusive');
  });

  it('averages several slices, skipping silence between them', () => {
    const spectrum = averageSpectrum(
      [multitone(1, 16_000, 0, 2), new Float32Array(RATE), multitone(1, 16_000, 0, 3)],
      RATE,
    );
    const perSecond = Math.floor((RATE - SPECTRUM_THRESHOLDS.fftSize) / 2048) + 1;
    expect(spectrum.windows).toBe(2 * perSecond);
    expect(findCliff(spectrum).verdict).toBe('suspect');
  });
});

describe('bit depth', () => {
  const samples = (shift: number, n = 10_000) => {
    const next = random(9);
    return Int32Array.from(
      { length: n },
      () => ((Math.floor(next() * 65_536) - 32_768) << shift) | 0,
    );
  };

  it('counts significant bits as ffmpeg s32le holds them', () => {
    expect(significantBits(samples(16))).toBe(16); // 16-bit audio
    expect(significantBits(samples(8))).toBe(24); // 24-bit audio with 16 bits of data: not provable
    expect(significantBits(new Int32Array(10))).toBeNull();
  });

  it('flags a 24-bit file whose low 8 bits are always zero, and not a real one', () => {
    expect(paddedBitDepth(24, samples(16))).toMatchObject({
      verdict: 'suspect',
      reason: expect.stringMatching(/low 8 bits are always zero/),
    });
    const real = Int32Array.from(samples(8), (v, i) => v | (((i * 37) & 0xff) << 8));
    expect(paddedBitDepth(24, real).verdict).toBe('clean');
    expect(paddedBitDepth(16, samples(16)).verdict).toBe('clean');
    expect(paddedBitDepth(24, samples(16, 100)).verdict).toBe('inconclusive');
  });
});

describe('averageSpectrumSteps', () => {
  it('pauses every n windows and ends with the same spectrum as averageSpectrum', () => {
    const slices = [multitone(1, 16_000, 0, 4), multitone(1, 16_000, 0, 5)];
    const work = averageSpectrumSteps(slices, RATE, 5);
    let pauses = 0;
    let step = work.next();
    while (!step.done) {
      pauses++;
      step = work.next();
    }
    const whole = averageSpectrum(slices, RATE);
    expect(step.value.windows).toBe(whole.windows);
    expect(pauses).toBe(Math.ceil(whole.windows / 5) - 1);
    expect(Array.from(step.value.db)).toEqual(Array.from(whole.db));
  });
});
