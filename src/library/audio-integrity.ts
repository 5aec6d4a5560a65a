/**
 * Byte-level integrity checks for the two formats where parsing the header is not enough: MPEG audio
 * (MP3) and FLAC. Pure over a `ByteSource`, so tests can feed buffers and verify.ts feeds files.
 *
 * - MPEG: the data between the tags must be a chain of frame headers with the same version, layer
 *   and sample rate, each confirmed by the next (random bytes match a lone header now and then, a
 *   chain almost never); at most 10 % junk; the last frame complete; and as many frames as a
 *   Xing/Info/VBRI header announces.
 * - FLAC: the file must end with a complete frame (header CRC-8 and frame CRC-16 both valid) whose
 *   last sample is the total STREAMINFO announces. A cut anywhere fails one of these.
 */

/** Reads up to `length` bytes at `offset` (fewer at the end of the data). */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source over bytes in memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** Random access to a file through a 1 MiB window, so byte-level scans need few reads. */
class Reader {
  private window: Uint8Array = new Uint8Array(0);
  private start = 0;
  readonly size: number;
  constructor(private readonly source: ByteSource) {
    this.size = source.size;
  }

  has(offset: number, length: number): boolean {
    return offset >= this.start && offset + length <= this.start + this.window.length;
  }

  /** Makes [offset, offset + length) available (clipped to the file); false when past the end. */
  async load(offset: number, length: number): Promise<boolean> {
    if (offset < 0 || offset + length > this.size) return false;
    if (this.has(offset, length)) return true;
    const span = Math.min(Math.max(length, 1 << 20), this.size - offset);
    this.window = await this.source.read(offset, span);
    this.start = offset;
    return this.window.length >= length;
  }

  /** Byte at an offset already made available by `load`. */
  at(offset: number): number {
    return this.window[offset - this.start] ?? 0;
  }

  async bytes(offset: number, length: number): Promise<Uint8Array | null> {
    if (!(await this.load(offset, length))) return null;
    return this.window.slice(offset - this.start, offset - this.start + length);
  }
}

const ascii = (bytes: Uint8Array | null): string => (bytes ? String.fromCharCode(...bytes) : '');

/** Offset after any ID3v2 tags at `offset` (some files carry several). */
async function skipId3v2(reader: Reader, offset: number): Promise<number> {
  let position = offset;
  for (;;) {
    const header = await reader.bytes(position, 10);
    if (!header || ascii(header.subarray(0, 3)) !== 'ID3') return position;
    const size = header.subarray(6, 10).reduce((sum, byte) => sum * 128 + (byte & 0x7f), 0);
    position += 10 + size + ((header[5] ?? 0) & 0x10 ? 10 : 0);
  }
}

/** End of the audio data: before an ID3v1 tag, APEv2 tag or Lyrics3v2 block at the end. */
async function audioEnd(reader: Reader): Promise<number> {
  let end = reader.size;
  for (let changed = true; changed;) {
    changed = false;
    if (end >= 128 && ascii(await reader.bytes(end - 128, 3)) === 'TAG') {
      end -= 128;
      changed = true;
    }
    const ape = end >= 32 ? await reader.bytes(end - 32, 32) : null;
    if (ape && ascii(ape.subarray(0, 8)) === 'APETAGEX') {
      const view = new DataView(ape.buffer, ape.byteOffset);
      const hasHeader = (view.getUint32(20, true) & 0x80000000) !== 0;
      end -= view.getUint32(12, true) + (hasHeader ? 32 : 0);
      changed = true;
    }
    const lyricsSize = end >= 15 ? ascii(await reader.bytes(end - 15, 15)) : '';
    if (/^\d{6}LYRICS200$/.test(lyricsSize)) {
      end -= Number(lyricsSize.slice(0, 6)) + 15;
      changed = true;
    }
    if (end < 0) return 0;
  }
  return end;
}

// ---- MPEG audio -------------------------------------------------------------------------------

const MPEG_BITRATES: Record<string, number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_SAMPLE_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000], // MPEG 1
  2: [22050, 24000, 16000], // MPEG 2
  0: [11025, 12000, 8000], // MPEG 2.5
};

interface MpegFrame {
  length: number;
  /** Version, layer and sample rate: what stays the same across a stream's frames. */
  signature: number;
  sideInfoLength: number;
}

function mpegFrame(b0: number, b1: number, b2: number, b3: number): MpegFrame | null {
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15) return null;
  if (rateIndex === 3 || (b3 & 3) === 2) return null;
  const layer = 4 - layerBits;
  const table =
    MPEG_BITRATES[`${version === 3 ? 1 : 2}-${version === 3 ? layer : Math.min(layer, 2)}`];
  const sampleRate = MPEG_SAMPLE_RATES[version]?.[rateIndex];
  const kbps = table?.[bitrateIndex];
  if (!sampleRate || !kbps) return null;
  const padding = (b2 >> 1) & 1;
  const bitrate = kbps * 1000;
  const length =
    layer === 1
      ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
      : Math.floor(((layer === 3 && version !== 3 ? 72 : 144) * bitrate) / sampleRate) + padding;
  const mono = b3 >> 6 === 3;
  const sideInfoLength = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
  return { length, signature: (b1 & 0x1e) * 4 + rateIndex, sideInfoLength };
}

async function frameAt(reader: Reader, offset: number): Promise<MpegFrame | null> {
  if (!reader.has(offset, 4) && !(await reader.load(offset, 4))) return null;
  return mpegFrame(
    reader.at(offset),
    reader.at(offset + 1),
    reader.at(offset + 2),
    reader.at(offset + 3),
  );
}

/** A frame at `offset` whose successor (or the end of the data) confirms it. */
async function confirmedFrame(
  reader: Reader,
  offset: number,
  end: number,
  signature?: number,
): Promise<MpegFrame | null> {
  const frame = await frameAt(reader, offset);
  if (!frame || (signature !== undefined && frame.signature !== signature)) return null;
  if (offset + frame.length === end) return frame;
  const next = await frameAt(reader, offset + frame.length);
  return next && next.signature === frame.signature ? frame : null;
}

/**
 * Audio frame count announced by a Xing/Info or VBRI header in the first frame, or null. LAME and
 * ffmpeg (their name is in the tag frame) count the audio frames only, the tag frame excluded;
 * for other encoders one frame of slack covers either convention.
 */
async function announcedFrames(
  reader: Reader,
  offset: number,
  frame: MpegFrame,
): Promise<{ count: number; slack: number } | null> {
  const tagFrame = ascii(await reader.bytes(offset, frame.length));
  const slack = /LAME|Lavc|Lavf/.test(tagFrame) ? 0 : 1;
  const xing = await reader.bytes(offset + 4 + frame.sideInfoLength, 12);
  const xingId = ascii(xing?.subarray(0, 4) ?? null);
  if (xing && (xingId === 'Xing' || xingId === 'Info') && ((xing[7] ?? 0) & 1) === 1) {
    return { count: new DataView(xing.buffer, xing.byteOffset).getUint32(8), slack };
  }
  const vbri = await reader.bytes(offset + 36, 18);
  if (vbri && ascii(vbri.subarray(0, 4)) === 'VBRI') {
    return { count: new DataView(vbri.buffer, vbri.byteOffset).getUint32(14), slack: 1 };
  }
  return null;
}

/** Whether a loaded byte cannot start a frame: lets scans over junk skip it without awaiting. */
function noSyncAt(reader: Reader, offset: number): boolean {
  return reader.has(offset, 1) && reader.at(offset) !== 0xff;
}

/** Reason the MPEG stream is not a complete chain of frames, or null when it is. */
export async function checkMpegFrames(source: ByteSource): Promise<string | null> {
  const reader = new Reader(source);
  const start = await skipId3v2(reader, 0);
  const end = await audioEnd(reader);
  const dataLength = Math.max(end - start, 1);
  // Junk allowed outside frames (stray padding, unknown trailers): 10 % of the data.
  const junkLimit = dataLength / 10;

  let junk = 0;
  let position = start;
  let first: MpegFrame | null = null;
  while (position < end && junk <= junkLimit) {
    first = noSyncAt(reader, position) ? null : await confirmedFrame(reader, position, end);
    if (first) break;
    position++;
    junk++;
  }
  if (!first) return 'not an MPEG audio stream (no consistent frames)';
  const firstOffset = position;

  let frames = 0;
  // Whether `position` was reached by following frame lengths (rather than while skipping junk).
  let inChain = true;
  while (position < end) {
    const frame = noSyncAt(reader, position) ? null : await frameAt(reader, position);
    if (frame && frame.signature === first.signature) {
      const next = position + frame.length;
      if (next > end && inChain) return 'truncated: the last MPEG frame is cut short';
      if (next === end || (await frameAt(reader, next))?.signature === first.signature) {
        frames++;
        position = next;
        inChain = true;
        continue;
      }
    }
    position++;
    junk++;
    inChain = false;
    if (junk > junkLimit) {
      return `not a valid MPEG stream (over ${Math.round((junk / dataLength) * 100)}% of the data is not audio frames)`;
    }
  }

  const announced = await announcedFrames(reader, firstOffset, first);
  // The walk counted the tag frame too.
  const audioFrames = frames - 1;
  if (announced !== null && audioFrames < announced.count - announced.slack) {
    return `truncated: ${audioFrames} of ${announced.count} MPEG frames present`;
  }
  return null;
}

// ---- FLAC -------------------------------------------------------------------------------------

function crcTable(poly: number, bits: 8 | 16): number[] {
  const top = 1 << (bits - 1);
  const mask = (1 << bits) - 1;
  return Array.from({ length: 256 }, (_, byte) => {
    let crc = byte << (bits - 8);
    for (let i = 0; i < 8; i++) crc = crc & top ? ((crc << 1) ^ poly) & mask : (crc << 1) & mask;
    return crc;
  });
}
const CRC8 = crcTable(0x07, 8);
const CRC16 = crcTable(0x8005, 16);

function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = CRC8[crc ^ (bytes[i] ?? 0)] ?? 0;
  return crc;
}

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16[(crc >> 8) ^ (bytes[i] ?? 0)] ?? 0);
  return crc;
}

interface FlacFrameHeader {
  /** Frame number (fixed block size) or first sample number (variable block size). */
  number: number;
  variable: boolean;
  blockSize: number;
}

/** Parses and CRC-8-checks a frame header at `i`, or null. */
function flacFrameHeader(b: Uint8Array, i: number): FlacFrameHeader | null {
  const at = (k: number): number => b[i + k] ?? 0;
  if (at(0) !== 0xff || (at(1) & 0xfe) !== 0xf8 || i + 6 > b.length) return null;
  const blockCode = at(2) >> 4;
  const rateCode = at(2) & 0x0f;
  if (blockCode === 0 || rateCode === 15 || at(3) >> 4 >= 11 || (at(3) & 1) !== 0) return null;
  let k = 4;
  const lead = at(k++);
  let extra =
    lead < 0x80
      ? 0
      : lead < 0xc0
        ? -1
        : lead < 0xe0
          ? 1
          : lead < 0xf0
            ? 2
            : lead < 0xf8
              ? 3
              : lead < 0xfc
                ? 4
                : lead < 0xfe
                  ? 5
                  : lead === 0xfe
                    ? 6
                    : -1;
  if (extra < 0) return null;
  let number = extra === 0 ? lead : lead & (0x7f >> (extra + 1));
  for (; extra > 0; extra--) {
    const next = at(k++);
    if ((next & 0xc0) !== 0x80) return null;
    number = number * 64 + (next & 0x3f);
  }
  let blockSize: number;
  if (blockCode === 1) blockSize = 192;
  else if (blockCode <= 5) blockSize = 576 << (blockCode - 2);
  else if (blockCode === 6) blockSize = at(k++) + 1;
  else if (blockCode === 7) blockSize = ((at(k++) << 8) | at(k++)) + 1;
  else blockSize = 256 << (blockCode - 8);
  if (rateCode === 12) k += 1;
  else if (rateCode === 13 || rateCode === 14) k += 2;
  if (i + k + 1 > b.length || crc8(b, i, i + k) !== at(k)) return null;
  return { number, variable: (at(1) & 1) === 1, blockSize };
}

/** Reason the FLAC does not end with a complete final frame, or null when it does. */
export async function checkFlacEnd(source: ByteSource): Promise<string | null> {
  const reader = new Reader(source);
  const markerAt = await skipId3v2(reader, 0);
  if (ascii(await reader.bytes(markerAt, 4)) !== 'fLaC') return 'no FLAC stream marker';
  let position = markerAt + 4;
  let info: Uint8Array | null = null;
  // Real files have a handful of metadata blocks; a bound keeps a hostile file from looping long.
  for (let last = false, blocks = 0; !last; blocks++) {
    const header = await reader.bytes(position, 4);
    if (!header) return 'truncated: FLAC metadata is cut short';
    if (blocks > 1000) return 'damaged: too many FLAC metadata blocks';
    last = ((header[0] ?? 0) & 0x80) !== 0;
    const length = ((header[1] ?? 0) << 16) | ((header[2] ?? 0) << 8) | (header[3] ?? 0);
    if (((header[0] ?? 0) & 0x7f) === 0) info = await reader.bytes(position + 4, 34);
    position += 4 + length;
  }
  if (!info) return 'FLAC without STREAMINFO';
  const view = new DataView(info.buffer, info.byteOffset);
  const maxBlock = view.getUint16(2);
  const maxFrame = ((info[7] ?? 0) << 16) | ((info[8] ?? 0) << 8) | (info[9] ?? 0);
  const totalSamples = ((info[13] ?? 0) & 0x0f) * 2 ** 32 + view.getUint32(14);
  // An encoder that streamed its output may not know the length; nothing to compare then.
  if (totalSamples === 0) return null;

  const end = await audioEnd(reader);
  if (end <= position) return 'truncated: no FLAC audio frames';
  const span = Math.min(end - position, (maxFrame > 0 ? maxFrame : 1 << 20) + 64);
  const tail = await reader.bytes(end - span, span);
  if (!tail) return 'cannot read the end of the file';
  const footer = ((tail[span - 2] ?? 0) << 8) | (tail[span - 1] ?? 0);
  for (let i = span - 8; i >= 0; i--) {
    if (tail[i] !== 0xff) continue;
    const frame = flacFrameHeader(tail, i);
    if (!frame || crc16(tail, i, span - 2) !== footer) continue;
    const first = frame.variable ? frame.number : frame.number * maxBlock;
    const last = first + frame.blockSize;
    return last === totalSamples
      ? null
      : `truncated: FLAC audio ends at sample ${last} of ${totalSamples}`;
  }
  return 'truncated or damaged: the file does not end with a complete FLAC frame';
}
