import FFT from 'fft.js';

/**
 * Fake-lossless detection over decoded audio (pure: PCM in, a finding out; transcode-check.ts does
 * the decoding). The method is the one FLAC Detective and similar tools use: a lossy encoder
 * low-passes the signal (LAME at 128 kbps near 16–17 kHz, at 320 kbps near 20–20.5 kHz), and
 * converting its output to FLAC cannot bring the cut-off part back, so the averaged spectrum of a
 * transcode has a *cliff*: content up to a frequency typical of an encoder, then (almost) nothing.
 *
 * A cliff is content that stops, not content that was never there: a pure tone, a quiet or
 * synthetic recording, an old tape with no treble are inconclusive and never flagged. Nor is this
 * proof: LAME V0 and AAC 256 keep content up to ~19.5–20 kHz and may pass, and a genuine master
 * can be band-limited. Hence "suspect" with the cut-off frequency, never "fake".
 */

export type Verdict = 'clean' | 'suspect' | 'inconclusive';

export interface Finding {
  verdict: Verdict;
  /**
   * Where the spectrum stops (rounded to 10 Hz): for a suspect cliff, and for an inconclusive one
   * too near Nyquist to tell from a recording's own anti-alias filter.
   */
  cutoffHz?: number;
  /** One sentence a user can read: what was found, or why nothing can be said. */
  reason: string;
}

/** The averaged power spectrum of some audio: one power spectral density (dB re full scale²/Hz) per bin. */
export interface Spectrum {
  sampleRate: number;
  /** Width of a bin in Hz (sampleRate / fftSize). */
  binHz: number;
  /** 10·log10 of the mean PSD, bins 0 … fftSize/2. */
  db: Float64Array;
  /** Windows averaged (digital silence is left out). */
  windows: number;
}

/**
 * The thresholds, each with why. FLAC Detective (GuillainM/FLAC_Detective, spectral_config) uses a
 * 10–14 kHz reference, 250 Hz slices from 14 kHz up, "30 dB below the reference for 2 slices", a
 * single long FFT per 30 s sample, and skips cut-offs at ≥ 95 % of Nyquist. We average many short
 * windows instead (a smooth spectrum, so a 100 Hz grid is stable) and compare each side of a
 * candidate cliff directly, which also covers cut-offs below 14 kHz.
 */
export const SPECTRUM_THRESHOLDS = {
  /** ~10.8 Hz bins at 44.1 kHz; 96 kHz files get 8192 points for the same resolution. */
  fftSize: 4096,
  /** Windows averaged at most (evenly spread); more only costs time, the average is smooth by ~100. */
  maxWindows: 600,
  /** Fewer non-silent windows than this (~0.75 s at 44.1 kHz, 50 % overlap) is too little to judge. */
  minWindows: 16,
  /** Spectrum grid for the cliff search: fine enough for "within a few hundred Hz". */
  bandHz: 100,
  /** "Below the cliff" is the median of this span: a median, so one loud or empty band cannot fake it. */
  belowSpanHz: 1000,
  /**
   * The drop must be complete this far above the cliff. LAME's low-pass has a transition of ~500 Hz
   * (e.g. 16.5–17.1 kHz at 128 kbps); natural roll-off, a few dB per kHz, is nowhere near 30 dB in
   * 600 Hz.
   */
  transitionHz: 600,
  /**
   * Everything from the end of the transition to (almost) Nyquist must sit this far below: FLAC
   * Detective's 30 dB. The max is taken above the cliff, so content that comes back (a resonance,
   * a hi-hat at 19 kHz) is no cliff.
   */
  cliffDropDb: 30,
  /**
   * "Content present below it": the level under the cliff is within this of the loudest band. A
   * 100 Hz band of bass in music is 40–60 dB over a 100 Hz band of treble at 15 kHz; 70 dB leaves
   * room for dark recordings and still calls a pure tone's leakage floor "nothing".
   */
  contentRangeDb: 70,
  /**
   * And at least this far above 16-bit rounding noise (white, 2^-15 / √12 rms): a level at the
   * quantisation floor is not content, however quiet the rest of the file is.
   */
  contentOverFloorDb: 12,
  /** Cliffs at or above this share of Nyquist are the recording's own anti-alias filter (FLAC Detective's 95 % rule). */
  maxCliffOfNyquist: 0.95,
  /**
   * A cliff above this share of Nyquist (20.4 kHz at 44.1 kHz, 22.2 kHz at 48 kHz) is never called
   * suspect, only inconclusive with its cut-off: a genuine master resampled with a steep filter
   * stops there too. Measured with ffmpeg from a 96 kHz pink-noise master to 44.1 kHz: soxr at
   * its defaults (precision 20 or 28, triangular dither) and at cutoff 0.85–0.9 reads 20.9 kHz;
   * swr with filter_size 256 at cutoff 0.92–0.96 reads 20.4–20.9 kHz. LAME 320 kbps reads
   * 20.1 kHz at 44.1 kHz (20.35 kHz at 48 kHz, as does Opus), so it stays suspect — but a master
   * filtered as steeply at 0.9 of Nyquist (swr cutoff 0.9: 20.0 kHz) is the same picture: a
   * 320 kbps suspicion is the weakest one, and `transcodeAction: "warn"` is for who minds.
   */
  suspectUpToOfNyquist: 0.925,
  /** The "above" side is measured up to this share of Nyquist: the last bins hold the resampler's own roll-off. */
  aboveUpToOfNyquist: 0.99,
  /**
   * The upsampled-CD check (88.2 kHz and up): audible treble (18–20 kHz) against everything from
   * here to 95 % of Nyquist. Not 22.05 kHz itself: resamplers' filters are soft (ffmpeg's default
   * falls from 21 to 25.5 kHz), so the last 2–3 kHz above a 44.1/48 kHz source's Nyquist still
   * hold its filter's tail.
   */
  ultrasonicFromHz: 26_000,
  /** The reported cut-off of an upsampled file: where the level first falls this far below the treble. */
  upsampledEdgeDb: 15,
  /** Candidate cliffs within this many dB of the deepest form one plateau; its middle is the cut-off. */
  plateauDb: 3,
} as const;

/**
 * Where encoders cut, and what a cliff there means. A cliff elsewhere (e.g. 13.3 kHz) is unusual
 * enough to be left alone: a synthesizer patch that stops, not an encoder.
 */
export const CUTOFF_FAMILIES: readonly {
  fromHz: number;
  toHz: number;
  source: string;
}[] = [
  // Lossy audio at 22.05 kHz (low-bitrate MP3/AAC resamples to it) has nothing above 11.025 kHz.
  { fromHz: 10_500, toHz: 11_600, source: 'lossy audio at 22.05 kHz or MP3 ≤ 64 kbps' },
  // LAME 96–128 kbps (16 kHz in older versions), AAC/Vorbis at 96–128 kbps, Opus ≤ 32 kbps (12–16 kHz).
  { fromHz: 14_500, toHz: 16_600, source: 'MP3 ≈ 112–128 kbps, AAC/Vorbis ≈ 128 kbps' },
  // LAME 3.98+ at 128–160 kbps (17 kHz), Vorbis q4.
  { fromHz: 16_600, toHz: 17_800, source: 'MP3 ≈ 128–160 kbps' },
  // LAME 192–256 kbps and V2–V0 (18.6–19.5 kHz), AAC at 192 kbps.
  { fromHz: 17_800, toHz: 19_800, source: 'MP3 ≈ 192–256 kbps or VBR V0–V2' },
  // LAME 320 kbps (20–20.5 kHz), Opus (always 20 kHz). Above `suspectUpToOfNyquist` of the file's
  // Nyquist a cliff here is only reported, never suspect: steep resampling filters stop there too.
  { fromHz: 19_800, toHz: 21_000, source: 'MP3 320 kbps or Opus' },
];

/** A power of two ≥ the default that keeps bins near 10 Hz at high sample rates. */
export function fftSizeFor(sampleRate: number): number {
  let size = SPECTRUM_THRESHOLDS.fftSize;
  while (sampleRate / size > 12 && size < 65_536) size *= 2;
  return size;
}

/**
 * The mean power spectrum over Hann windows with 50 % overlap taken from every slice (several parts
 * of the file), at most `maxWindows` of them spread evenly. Windows of digital silence are skipped:
 * a gap between tracks says nothing about an encoder.
 */
export function averageSpectrum(slices: readonly Float32Array[], sampleRate: number): Spectrum {
  const work = averageSpectrumSteps(slices, sampleRate, Infinity);
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/**
 * `averageSpectrum` in steps: the generator pauses after every `windowsPerStep` FFT windows, so a
 * caller on the event loop can yield between steps (the fallback when the worker thread cannot
 * run; transcode-pool.ts). One 16384-point window (192 kHz) costs ~0.3 ms here, warm.
 */
export function* averageSpectrumSteps(
  slices: readonly Float32Array[],
  sampleRate: number,
  windowsPerStep: number,
): Generator<void, Spectrum, void> {
  const size = fftSizeFor(sampleRate);
  const hop = size / 2;
  const starts: [number, number][] = [];
  slices.forEach((slice, s) => {
    for (let at = 0; at + size <= slice.length; at += hop) starts.push([s, at]);
  });
  const step = Math.max(1, starts.length / SPECTRUM_THRESHOLDS.maxWindows);
  const window = new Float64Array(size);
  let windowPower = 0;
  for (let i = 0; i < size; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
    windowPower += (window[i] as number) ** 2;
  }
  const fft = new FFT(size);
  const input = new Array<number>(size).fill(0);
  const out = fft.createComplexArray() as number[];
  const bins = size / 2 + 1;
  const sum = new Float64Array(bins);
  let windows = 0;
  let sinceYield = 0;
  for (let k = 0; k < starts.length; k += step) {
    if (++sinceYield > windowsPerStep) {
      sinceYield = 1;
      yield;
    }
    const [s, at] = starts[Math.floor(k)] as [number, number];
    const slice = slices[s] as Float32Array;
    let energy = 0;
    for (let i = 0; i < size; i++) {
      const v = slice[at + i] as number;
      energy += v * v;
      input[i] = v * (window[i] as number);
    }
    // Below -120 dBFS rms: digital silence or a fade's last breath, not music.
    if (energy / size < 1e-12) continue;
    fft.realTransform(out, input);
    for (let b = 0; b < bins; b++) {
      const re = out[2 * b] as number;
      const im = out[2 * b + 1] as number;
      sum[b] = (sum[b] as number) + re * re + im * im;
    }
    windows++;
  }
  // One-sided PSD: 2·|X|² / (fs · Σw²), so white noise of variance σ² reads σ² / (fs/2) per Hz.
  const scale = windows > 0 ? 2 / (sampleRate * windowPower * windows) : 0;
  const db = new Float64Array(bins);
  for (let b = 0; b < bins; b++) db[b] = 10 * Math.log10((sum[b] as number) * scale + 1e-30);
  return { sampleRate, binHz: sampleRate / size, db, windows };
}

/** 16-bit rounding noise as a PSD in dB/Hz: the lowest level anything sold as lossless can hold. */
export function quantisationFloorDb(sampleRate: number): number {
  const variance = 2 ** -30 / 12;
  return 10 * Math.log10(variance / (sampleRate / 2));
}

/** Looks for an encoder's cliff in an averaged spectrum. */
export function findCliff(spectrum: Spectrum): Finding {
  const t = SPECTRUM_THRESHOLDS;
  const { sampleRate, windows } = spectrum;
  if (windows < t.minWindows) {
    return { verdict: 'inconclusive', reason: 'too little sound to analyse (short or silent)' };
  }
  const nyquist = sampleRate / 2;
  const bands = bandLevels(spectrum);
  const level = (hz: number): number => bands[Math.floor(hz / t.bandHz)] ?? -Infinity;
  let peak = -Infinity;
  for (let b = 1; b < bands.length; b++) peak = Math.max(peak, bands[b] as number);
  const contentAt = Math.max(
    peak - t.contentRangeDb,
    quantisationFloorDb(sampleRate) + t.contentOverFloorDb,
  );
  const aboveEnd = nyquist * t.aboveUpToOfNyquist;
  const highest = Math.min(nyquist * t.maxCliffOfNyquist, aboveEnd - t.transitionHz - t.bandHz);

  const median = (from: number, to: number): number => {
    const values: number[] = [];
    for (let hz = from; hz < to; hz += t.bandHz) values.push(level(hz));
    values.sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? -Infinity;
  };
  const maxOver = (from: number, to: number): number => {
    let max = -Infinity;
    for (let hz = from; hz < to; hz += t.bandHz) max = Math.max(max, level(hz));
    return max;
  };

  // Every candidate on the grid inside an encoder family: the drop from the span below to the
  // loudest band above the transition.
  const passing: { hz: number; drop: number; family: (typeof CUTOFF_FAMILIES)[number] }[] = [];
  let scannedTo = 0;
  for (const family of CUTOFF_FAMILIES) {
    for (let hz = family.fromHz; hz < family.toHz && hz <= highest; hz += t.bandHz) {
      scannedTo = Math.max(scannedTo, hz);
      const below = median(hz - t.belowSpanHz, hz);
      const above = maxOver(hz + t.transitionHz, aboveEnd);
      const drop = below - above;
      if (below >= contentAt && drop >= t.cliffDropDb) passing.push({ hz, drop, family });
    }
  }

  if (passing.length > 0) {
    const best = passing.reduce((a, b) => (b.drop > a.drop ? b : a));
    // The deepest candidates form a plateau as wide as the gap between the band the transition
    // starts in and the one it ends in; its middle is the middle of the encoder's low-pass.
    let from = best.hz;
    let to = best.hz;
    const near = new Set(passing.filter((p) => p.drop >= best.drop - t.plateauDb).map((p) => p.hz));
    while (near.has(from - t.bandHz)) from -= t.bandHz;
    while (near.has(to + t.bandHz)) to += t.bandHz;
    const cutoffHz = Math.round((from + to) / 2 / 10) * 10;
    if (cutoffHz > nyquist * t.suspectUpToOfNyquist) {
      return {
        verdict: 'inconclusive',
        cutoffHz,
        reason: `spectrum stops at ${cutoffHz} Hz, too near Nyquist (${nyquist} Hz) to tell an encoder from a steep anti-alias filter`,
      };
    }
    return {
      verdict: 'suspect',
      cutoffHz,
      reason: `spectrum stops at ${cutoffHz} Hz (${Math.round(best.drop)} dB drop), typical of ${best.family.source}`,
    };
  }

  const upsampled = upsampledFrom(bands, sampleRate, contentAt);
  if (upsampled) return upsampled;

  if (scannedTo === 0) {
    return {
      verdict: 'inconclusive',
      reason: `at ${sampleRate} Hz the spectrum ends below any encoder's cut-off`,
    };
  }
  // No cliff: "clean" needs content up where a lossy encoder would have cut, else nothing is known.
  const top = median(scannedTo - 1500, scannedTo);
  if (top < contentAt) {
    return {
      verdict: 'inconclusive',
      reason: `little or no content above ${Math.round((scannedTo - 1500) / 100) / 10} kHz to judge by`,
    };
  }
  return {
    verdict: 'clean',
    reason: `content reaches ${Math.round(scannedTo / 100) / 10} kHz without a cliff`,
  };
}

/** A high-rate file with treble but nothing ultrasonic: made from a 44.1 or 48 kHz source. */
function upsampledFrom(bands: Float64Array, sampleRate: number, contentAt: number): Finding | null {
  const t = SPECTRUM_THRESHOLDS;
  const nyquist = sampleRate / 2;
  if (nyquist * t.maxCliffOfNyquist <= t.ultrasonicFromHz + 1000) return null;
  const at = (hz: number): number => bands[Math.floor(hz / t.bandHz)] ?? -Infinity;
  const treble: number[] = [];
  for (let hz = 18_000; hz < 20_000; hz += t.bandHz) treble.push(at(hz));
  treble.sort((a, b) => a - b);
  const below = treble[Math.floor(treble.length / 2)] ?? -Infinity;
  let above = -Infinity;
  for (let hz = t.ultrasonicFromHz; hz < nyquist * t.maxCliffOfNyquist; hz += t.bandHz)
    above = Math.max(above, at(hz));
  if (below < contentAt || below - above < t.cliffDropDb) return null;
  let edge = 20_000;
  while (edge < t.ultrasonicFromHz && at(edge) >= below - t.upsampledEdgeDb) edge += t.bandHz;
  return {
    verdict: 'suspect',
    cutoffHz: edge,
    reason: `a ${sampleRate} Hz file with nothing above ${edge} Hz (${Math.round(below - above)} dB drop): upsampled from 44.1 or 48 kHz`,
  };
}

/** Mean level per band of the grid, in dB (the mean of the power, not of the dB values). */
function bandLevels(spectrum: Spectrum): Float64Array {
  const { binHz, db } = spectrum;
  const bandHz = SPECTRUM_THRESHOLDS.bandHz;
  const count = Math.floor(spectrum.sampleRate / 2 / bandHz) + 1;
  const power = new Float64Array(count);
  const n = new Uint32Array(count);
  for (let b = 0; b < db.length; b++) {
    const band = Math.floor((b * binHz) / bandHz);
    power[band] = (power[band] as number) + 10 ** ((db[b] as number) / 10);
    n[band] = (n[band] as number) + 1;
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const k = n[i] as number;
    out[i] = k > 0 ? 10 * Math.log10((power[i] as number) / k + 1e-30) : -Infinity;
  }
  return out;
}

/**
 * Significant bits of integer samples as ffmpeg's s32le gives them (the sample in the high bits):
 * 32 minus the trailing zero bits common to all. A 24-bit file that is 16-bit audio with 8 zero
 * bits appended reads 16. Null when every sample is zero (nothing to tell).
 */
export function significantBits(samples: Int32Array): number | null {
  let or = 0;
  for (let i = 0; i < samples.length; i++) or |= samples[i] as number;
  if (or === 0) return null;
  let zeros = 0;
  while (((or >>> zeros) & 1) === 0) zeros++;
  return 32 - zeros;
}

/** The cheap bit-depth check: a file declared deeper than its samples are. */
export function paddedBitDepth(declaredBits: number, samples: Int32Array): Finding {
  // A few non-zero samples may share low zero bits by chance; a few thousand never do.
  let nonZero = 0;
  for (let i = 0; i < samples.length && nonZero < 4096; i++) if (samples[i] !== 0) nonZero++;
  const bits = nonZero >= 4096 ? significantBits(samples) : null;
  if (bits === null) return { verdict: 'inconclusive', reason: 'too few non-zero samples' };
  if (declaredBits > 16 && bits <= 16) {
    return {
      verdict: 'suspect',
      reason: `a ${declaredBits}-bit file whose low ${declaredBits - bits} bits are always zero (${bits}-bit audio, padded)`,
    };
  }
  return { verdict: 'clean', reason: `${Math.min(bits, declaredBits)} significant bits` };
}
