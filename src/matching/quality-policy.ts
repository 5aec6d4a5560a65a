import type { Candidate } from '../providers/provider.js';

/**
 * What the ranking accepts and how it orders formats. One policy today; quality profiles (required
 * vs preferred conditions, per user) will produce values of this shape.
 */
export interface QualityPolicy {
  /** Lower-case extensions without the dot that count as audio; anything else is rejected. */
  allowedExtensions: string[];
  /**
   * Largest accepted difference between a candidate's reported length and the wanted duration, in
   * seconds, when both are known. Peers report whole seconds and releases differ by a few seconds of
   * silence, so this cannot be tight; a different edit or a live take is usually off by far more.
   */
  durationToleranceSeconds: number;
  /** Lossy candidates whose reported bitrate (kbps) is below this are rejected; 0 accepts all. */
  minBitrateKbps: number;
  /** Reject remix/live/karaoke/… versions the wanted title does not itself name. */
  rejectVariants: boolean;
}

/** Lossless formats, FLAC first: it is the one with reliable tags and the smallest files. */
export const LOSSLESS_EXTENSIONS = ['flac', 'alac', 'ape', 'wv', 'aiff', 'aif', 'wav'] as const;

export const DEFAULT_QUALITY_POLICY: QualityPolicy = {
  allowedExtensions: [...LOSSLESS_EXTENSIONS, 'mp3', 'm4a', 'aac', 'ogg', 'opus', 'wma'],
  durationToleranceSeconds: 5,
  minBitrateKbps: 0,
  rejectVariants: true,
};

/**
 * Roughly how many MP3 kbps one kbps of each lossy codec is worth, so an Opus 160 is not ranked as
 * a poor file. Conservative listening-test figures, not marketing ones.
 */
const CODEC_EFFICIENCY: Record<string, number> = {
  mp3: 1,
  wma: 1,
  m4a: 1.3,
  aac: 1.3,
  ogg: 1.2,
  opus: 1.6,
};

export interface QualityTier {
  /**
   * Higher is better. 7 FLAC; 6 other lossless; 5 lossy ≈ MP3 320; 4 ≈ 256/V0; 3 ≈ 192; 2 ≈ 128 or
   * bitrate unknown; 1 below 128.
   */
  tier: number;
  /** Short readable description, e.g. "flac 16/44.1", "mp3 320". */
  label: string;
}

/** Extension of a remote path (backslash or slash separated), lower case without the dot. */
export function extensionOf(remotePath: string): string {
  // A loop from the end, not lastIndexOf (a slow runtime call in V8): it runs for every one of up
  // to 25,000 results per ranking. The extension is after the name's last dot, when that dot is
  // neither the name's first character nor absent.
  for (let i = remotePath.length - 1; i >= 0; i--) {
    const c = remotePath.charCodeAt(i);
    if (c === 92 || c === 47) return '';
    if (c === 46) {
      const before = i > 0 ? remotePath.charCodeAt(i - 1) : 92;
      if (before === 92 || before === 47) return '';
      return knownExtension(remotePath, i + 1) ?? remotePath.slice(i + 1).toLowerCase();
    }
  }
  return '';
}

/**
 * Extensions a search's results mostly have, each one string: extensionOf returns these instead of
 * a new slice and lower-cased copy per file (two strings for each of 25,000 results, and a hash
 * to compute again for every Set or Map that is asked about it).
 */
const KNOWN_EXTENSIONS = new Map<number, string>(
  [
    ...LOSSLESS_EXTENSIONS,
    ...['mp3', 'm4a', 'aac', 'ogg', 'opus', 'wma', 'mp4', 'flv', 'mkv', 'avi'],
    ...[
      'jpg',
      'jpeg',
      'png',
      'gif',
      'bmp',
      'txt',
      'nfo',
      'cue',
      'log',
      'm3u',
      'm3u8',
      'pdf',
      'sfv',
    ],
  ].map((extension) => [extensionCode(extension, 0), extension]),
);

/**
 * A number for the (ASCII-lower-cased) extension starting at `from`, for KNOWN_EXTENSIONS: 7 bits
 * per character, so one of up to 4 characters fits V8's small integers (31 bits: no boxed number
 * per lookup) and, no character being 0, different lengths never share one; -1 for anything
 * longer or not ASCII (then the extension is sliced as it always was).
 */
function extensionCode(text: string, from: number): number {
  const length = text.length - from;
  if (length < 1 || length > 4) return -1;
  let code = 0;
  for (let i = from; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c > 127) return -1;
    if (c >= 65 && c <= 90) c += 32;
    code = code * 128 + c;
  }
  return code;
}

function knownExtension(remotePath: string, from: number): string | undefined {
  const code = extensionCode(remotePath, from);
  return code < 0 ? undefined : KNOWN_EXTENSIONS.get(code);
}

export function isLossless(extension: string): boolean {
  return (LOSSLESS_EXTENSIONS as readonly string[]).includes(extension);
}

/** The candidate's format tier; `extension` is derived from the file name, never the peer's field. */
export function qualityTier(candidate: Candidate, extension: string): QualityTier {
  if (isLossless(extension)) {
    const depth =
      candidate.bitDepth && candidate.sampleRate
        ? ` ${candidate.bitDepth}/${candidate.sampleRate / 1000}`
        : '';
    return { tier: extension === 'flac' ? 7 : 6, label: `${extension}${depth}` };
  }
  const kbps = candidate.bitRate;
  if (kbps === undefined || !Number.isFinite(kbps) || kbps <= 0) {
    return { tier: 2, label: `${extension} (bitrate unknown)` };
  }
  const effective = kbps * (CODEC_EFFICIENCY[extension] ?? 1);
  const label = `${extension} ${Math.round(kbps)}${candidate.isVariableBitRate ? ' VBR' : ''}`;
  // Thresholds sit a little under the nominal rates: VBR averages (V0 ≈ 245) and rounding.
  if (effective >= 300) return { tier: 5, label };
  if (effective >= 224) return { tier: 4, label };
  if (effective >= 180) return { tier: 3, label };
  if (effective >= 128) return { tier: 2, label };
  return { tier: 1, label };
}
