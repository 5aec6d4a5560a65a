/**
 * What a release title says about its audio: format, bitrate, bit depth, sample rate. Pure.
 *
 * An indexer result is a whole release known by its title alone ("Radiohead - OK Computer (1997)
 * [FLAC 24bit-96kHz]", "Artist-Album-WEB-2020-FLAC-GRP", "Album (MP3 320)"); its files' facts come
 * only once a client has it. So ranking reads these words instead, as the best there is. Every
 * rule is a word with boundaries (no letter or digit on either side): "Blink-182" is no bitrate,
 * "24-7" no bit depth, "Mp3Tag" no MP3. A number counts as a bitrate only next to a format word
 * or a unit ("MP3 320", "320kbps", "AAC-256"), and a depth/rate pair only with both numbers
 * plausible ("16-44", "24/96", "24-192").
 */

export interface TitleAudio {
  /** Lower-case extension standing for the format (quality-policy.ts's names), when one is named. */
  extension?: string;
  /** kbps (a VBR preset's usual average: V0 ≈ 245). */
  bitRate?: number;
  isVariableBitRate?: boolean;
  bitDepth?: number;
  /** Hz. */
  sampleRate?: number;
}

/** Boundaries: no letter or digit either side. */
const B = '(?<![\\p{L}\\p{N}])';
const E = '(?![\\p{L}\\p{N}])';
const word = (body: string): RegExp => new RegExp(`${B}(?:${body})${E}`, 'iu');

/**
 * Format words, best first: when a title names several ("FLAC + MP3"), the release holds the best
 * and the file picked from it will be that one. `lossless` alone is nearly always FLAC.
 */
const FORMATS: { extension: string; pattern: RegExp; lossless: boolean }[] = [
  { extension: 'flac', pattern: word('flac|flac24|flac16'), lossless: true },
  { extension: 'alac', pattern: word('alac'), lossless: true },
  { extension: 'wv', pattern: word('wavpack|wv'), lossless: true },
  { extension: 'ape', pattern: word("ape|monkey'?s audio"), lossless: true },
  { extension: 'aiff', pattern: word('aiff?'), lossless: true },
  { extension: 'wav', pattern: word('wav|pcm'), lossless: true },
  { extension: 'flac', pattern: word('lossless'), lossless: true },
  { extension: 'opus', pattern: word('opus'), lossless: false },
  { extension: 'aac', pattern: word('aac'), lossless: false },
  { extension: 'm4a', pattern: word('m4a'), lossless: false },
  { extension: 'ogg', pattern: word('ogg|vorbis'), lossless: false },
  { extension: 'mp3', pattern: word('mp3'), lossless: false },
];

/** LAME VBR presets and their usual average kbps. */
const VBR_PRESETS: Record<string, number> = { v0: 245, v1: 225, v2: 190 };
const VBR_PRESET = word('(?:mp3[ -]?)?(v[012])');

/** A format word then a bitrate, or a bitrate then a unit: "MP3 320", "AAC-256", "320kbps", "192 K". */
const RATE_AFTER_FORMAT = new RegExp(
  `${B}(?:mp3|aac|m4a|ogg|vorbis|opus|cbr|vbr)[ \\-/@(\\[]{0,3}(\\d{2,3})(?:\\s?(?:kbps|kbit|kb/s|k))?${E}`,
  'iu',
);
const RATE_WITH_UNIT = new RegExp(`${B}(\\d{2,3})\\s?(?:kbps|kbit/s|kbit|kb/s|k)(?!hz)${E}`, 'iu');
const VBR_WORD = word('vbr');

const DEPTH = word('(16|24|32)[ -]?bits?');
const RATE_KHZ = new RegExp(
  `${B}(44[.,]1|48|88[.,]2|96|176[.,]4|192|352[.,]8|384)\\s?khz${E}`,
  'iu',
);
/** "16-44", "24/96", "24-44.1", "24bit-96kHz" (the depth's own unit is optional here). */
const DEPTH_RATE = new RegExp(
  `${B}(16|24|32)(?:[ -]?bits?)?\\s?[-/ ]\\s?(44(?:[.,]1)?|48|88(?:[.,]2)?|96|176(?:[.,]4)?|192|352(?:[.,]8)?|384)(?:\\s?khz)?${E}`,
  'iu',
);

/** Plausible bitrates only: anything else next to "MP3" is a catalogue number or a year. */
const BITRATES = new Set([64, 96, 112, 128, 160, 192, 224, 256, 320]);

/** "44" → 44,100 Hz, "88.2" → 88,200, "96" → 96,000. */
function hertz(text: string): number {
  const value = Number(text.replace(',', '.'));
  const exact: Record<number, number> = { 44: 44_100, 88: 88_200, 176: 176_400, 352: 352_800 };
  return exact[value] ?? Math.round(value * 1000);
}

/** The audio facts a release title names; absent fields when it names none. */
export function parseReleaseTitle(title: string): TitleAudio {
  // Scene titles use '_' and '.' for spaces ("Artist_-_Album-WEB-FLAC-2020"); a '.' between
  // digits stays (44.1).
  const text = title.replace(/_/g, ' ').replace(/(?<!\d)\.|\.(?!\d)/g, ' ');
  const out: TitleAudio = {};
  const format = FORMATS.find((f) => f.pattern.test(text));
  const preset = VBR_PRESET.exec(text)?.[1]?.toLowerCase();
  if (format) out.extension = format.extension;
  else if (preset !== undefined) out.extension = 'mp3';

  const lossless = format?.lossless ?? false;
  if (!lossless) {
    if (preset !== undefined && (out.extension === 'mp3' || out.extension === undefined)) {
      out.bitRate = VBR_PRESETS[preset];
      out.isVariableBitRate = true;
    } else {
      const rate = Number(RATE_AFTER_FORMAT.exec(text)?.[1] ?? RATE_WITH_UNIT.exec(text)?.[1]);
      if (BITRATES.has(rate)) {
        out.bitRate = rate;
        if (VBR_WORD.test(text)) out.isVariableBitRate = true;
      }
    }
  }
  if (lossless || format === undefined) {
    const pair = DEPTH_RATE.exec(text);
    const depth = DEPTH.exec(text)?.[1] ?? pair?.[1];
    const rate = RATE_KHZ.exec(text)?.[1] ?? pair?.[2];
    if (depth !== undefined) out.bitDepth = Number(depth);
    if (rate !== undefined) out.sampleRate = hertz(rate);
    // A bit depth is a lossless format's; with no format word it is nearly always FLAC.
    if (format === undefined && out.bitDepth !== undefined && out.bitRate === undefined) {
      out.extension ??= 'flac';
    }
  }
  return out;
}
