import { describe, expect, it } from 'vitest';
import { parseReleaseTitle, type TitleAudio } from './release-title.js';

/** Real-looking titles as Jackett, Prowlarr and Usenet indexers list them, and what they say. */
const CASES: [string, TitleAudio][] = [
  [
    'Radiohead - OK Computer (1997) [FLAC 24bit-96kHz]',
    { extension: 'flac', bitDepth: 24, sampleRate: 96_000 },
  ],
  ['Radiohead - OK Computer (1997) [FLAC]', { extension: 'flac' }],
  ['Radiohead - OK Computer (MP3 320)', { extension: 'mp3', bitRate: 320 }],
  ['Radiohead - OK Computer [MP3-320]', { extension: 'mp3', bitRate: 320 }],
  ['Radiohead - OK Computer (1997) 320kbps', { bitRate: 320 }],
  [
    'Radiohead - OK Computer (1997) [MP3 V0]',
    { extension: 'mp3', bitRate: 245, isVariableBitRate: true },
  ],
  [
    'Radiohead - OK Computer (1997) V0',
    { extension: 'mp3', bitRate: 245, isVariableBitRate: true },
  ],
  [
    'Radiohead - OK Computer (1997) [V2]',
    { extension: 'mp3', bitRate: 190, isVariableBitRate: true },
  ],
  ['Radiohead-OK_Computer-WEB-FLAC-1997-GRP', { extension: 'flac' }],
  ['Radiohead_-_OK_Computer-(WEB)-1997-FLAC', { extension: 'flac' }],
  [
    'Radiohead.OK.Computer.1997.WEB.FLAC.16-44',
    { extension: 'flac', bitDepth: 16, sampleRate: 44_100 },
  ],
  ['Radiohead - OK Computer (1997) 16-44', { extension: 'flac', bitDepth: 16, sampleRate: 44_100 }],
  ['Radiohead - OK Computer [24-192]', { extension: 'flac', bitDepth: 24, sampleRate: 192_000 }],
  ['Radiohead - OK Computer [24/96 FLAC]', { extension: 'flac', bitDepth: 24, sampleRate: 96_000 }],
  [
    'Radiohead - OK Computer (Hi-Res 24bit 44.1kHz)',
    { extension: 'flac', bitDepth: 24, sampleRate: 44_100 },
  ],
  ['Radiohead - OK Computer [Lossless]', { extension: 'flac' }],
  ['Radiohead - OK Computer (ALAC)', { extension: 'alac' }],
  ['Radiohead - OK Computer (iTunes AAC 256)', { extension: 'aac', bitRate: 256 }],
  ['Radiohead - OK Computer [AAC-256]', { extension: 'aac', bitRate: 256 }],
  ['Radiohead - OK Computer [OPUS 160]', { extension: 'opus', bitRate: 160 }],
  ['Radiohead - OK Computer (FLAC + MP3 320)', { extension: 'flac' }],
  ['Radiohead - OK Computer [MP3 VBR]', { extension: 'mp3' }],
  [
    'Radiohead - OK Computer [MP3 192 VBR]',
    { extension: 'mp3', bitRate: 192, isVariableBitRate: true },
  ],
  ['Radiohead - OK Computer [WavPack]', { extension: 'wv' }],
  ['Radiohead - OK Computer (APE)', { extension: 'ape' }],
  // Numbers that are not audio facts.
  ['Blink-182 - Enema of the State (1999)', {}],
  ['Radiohead - OK Computer (1997)', {}],
  ['Artist - 24-7 (2003)', {}],
  ['Artist - Album 2016-48 Remastered', {}],
  ['Artist - Greatest Hits Vol. 2', {}],
  ['Mp3Tag Test - Album', {}],
  ['Artist - 320 Days [FLAC]', { extension: 'flac' }],
  ['Artist - Album [MP3 999]', { extension: 'mp3' }],
  ['Artist - Album (192kHz) [FLAC]', { extension: 'flac', sampleRate: 192_000 }],
  ['', {}],
];

describe('parseReleaseTitle', () => {
  it.each(CASES)('%s', (title, expected) => {
    expect(parseReleaseTitle(title)).toEqual(expected);
  });

  it('never throws and never invents a bitrate outside the plausible set', () => {
    const hostile = [
      'MP3 '.repeat(5000),
      '\u0000FLAC\uFFFF',
      '24-'.repeat(1000),
      'k'.repeat(10_000),
    ];
    for (const title of hostile) {
      const facts = parseReleaseTitle(title);
      if (facts.bitRate !== undefined)
        expect([64, 96, 112, 128, 160, 192, 224, 245, 225, 190, 256, 320]).toContain(facts.bitRate);
    }
  });
});
