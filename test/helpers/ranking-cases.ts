import { realisticCases } from './ranking-cases-realistic.js';
import { base, cand, karma, type DecoyCase } from './ranking-fixtures.js';

/**
 * The ranking's table of realistic result sets: in each, the right file and decoys that must lose
 * (most with the reason they are rejected for). src/matching/ranking.test.ts runs them against the
 * ranking; quality-profile-ranking.test.ts checks the default profile ranks them identically.
 */

// The table's building blocks live apart, so the realistic sets (another file) can use them too.
export { base, cand, karma, type DecoyCase } from './ranking-fixtures.js';
const mp3_320 = { bitRate: 320 };

export const decoyCases: DecoyCase[] = [
  {
    name: 'remix loses to the original',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      { c: cand(`${base}06 - Karma Police (Remix).flac`), reason: /^remix, not requested$/ },
    ],
  },
  {
    name: 'live album folder',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      {
        c: cand('Radiohead\\Live at Glastonbury 1997\\Karma Police.flac'),
        reason: /^live, not requested$/,
      },
    ],
  },
  {
    name: 'live in the file name',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand(`${base}Karma Police (Live in Paris).flac`), reason: /^live/ }],
  },
  {
    name: 'wrong artist, better format',
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 192 }),
    decoys: [{ c: cand('Coldplay\\Covers\\Karma Police.flac'), reason: /^artist not in path$/ }],
  },
  {
    name: 'wrong duration at a higher bitrate',
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 192, lengthSeconds: 262 }),
    decoys: [
      {
        c: cand(`${base}06 - Karma Police.flac`, { lengthSeconds: 412 }),
        reason: /^duration 412 s, expected 264 s ± 5$/,
      },
    ],
  },
  {
    name: 'karaoke',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      {
        c: cand('Karaoke Hits\\Radiohead - Karma Police (Karaoke Version).flac'),
        reason: /^karaoke/,
      },
    ],
  },
  {
    name: 'non-audio files',
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 128 }),
    decoys: [
      { c: cand(`${base}06 - Karma Police.txt`), reason: /^not an audio file \(\.txt\)$/ },
      { c: cand(`${base}06 - Karma Police.lrc`), reason: /^not an audio file/ },
      { c: cand(`${base}Karma Police.jpg`), reason: /^not an audio file/ },
      { c: cand(`${base}06 - Karma Police`), reason: /no extension/ },
      // The peer's extension field says flac; the file name says cue. The name wins.
      { c: cand(`${base}Karma Police.cue`, { extension: 'flac' }), reason: /\.cue/ },
    ],
  },
  {
    name: '320 beats 128 even with a queue',
    right: cand(`${base}06 - Karma Police.mp3`, {
      bitRate: 320,
      hasFreeUploadSlot: false,
      queueLength: 3,
    }),
    decoys: [{ c: cand(`${base}06 - Karma Police.mp3`, { username: 'fast', bitRate: 128 }) }],
  },
  {
    name: 'FLAC with a queue beats a free-slot 320',
    right: cand(`${base}06 - Karma Police.flac`, { hasFreeUploadSlot: false, queueLength: 5 }),
    decoys: [
      { c: cand(`${base}06 - Karma Police.mp3`, { ...mp3_320, username: 'a', uploadSpeed: 9e6 }) },
    ],
  },
  {
    name: 'FLAC with a queue of 5 beats a free-slot MP3 128',
    right: cand(`${base}06 - Karma Police.flac`, {
      hasFreeUploadSlot: false,
      queueLength: 5,
      uploadSpeed: 20_000,
    }),
    decoys: [
      {
        c: cand(`${base}06 - Karma Police.mp3`, { bitRate: 128, username: 'a', uploadSpeed: 9e6 }),
      },
    ],
  },
  {
    name: 'instrumental',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand(`${base}06 - Karma Police (Instrumental).flac`), reason: /^instrumental/ }],
  },
  {
    name: 'acapella',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand('Radiohead\\Acapellas\\Karma Police Acapella.flac'), reason: /^acapella/ }],
  },
  {
    name: 'cover',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      { c: cand('Radiohead Tribute\\Karma Police (Radiohead cover).flac'), reason: /^cover/ },
    ],
  },
  {
    name: 'radio edit',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand(`${base}Karma Police (Radio Edit).flac`), reason: /^edit/ }],
  },
  {
    name: 'live further up the path',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand('Bootlegs\\Live\\Radiohead 1997\\Karma Police.flac'), reason: /^live/ }],
  },
  {
    name: 'demo folder',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand('Radiohead\\Demos 1996\\Karma Police.flac'), reason: /^demo/ }],
  },
  {
    name: 'sped up and nightcore',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      { c: cand('Radiohead - Karma Police (sped up).flac'), reason: /^sped up/ },
      { c: cand('Radiohead\\Nightcore - Karma Police.flac'), reason: /^nightcore/ },
    ],
  },
  {
    name: 'another song of the album',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [{ c: cand(`${base}07 - Fitter Happier.flac`), reason: /^title not in file name$/ }],
  },
  {
    name: 'blocked source',
    right: cand(`${base}06 - Karma Police.mp3`, mp3_320),
    decoys: [
      {
        c: cand(`${base}06 - Karma Police.flac`, { username: 'leech' }),
        reason: /^blocked source$/,
      },
    ],
    blocked: 'leech',
  },
  {
    name: 'a requested live version refuses the studio take',
    target: { ...karma, title: 'Karma Police (Live)', album: null },
    right: cand('Radiohead\\Live at Glastonbury 1997\\Karma Police.mp3', mp3_320),
    decoys: [
      { c: cand(`${base}06 - Karma Police.flac`), reason: /^not the requested live version$/ },
    ],
  },
  {
    name: '"Live" in the title is not a live version',
    target: { artist: 'Oasis', title: 'Live Forever', durationSeconds: 276 },
    right: cand('Oasis\\Definitely Maybe\\05 - Live Forever.mp3', {
      ...mp3_320,
      lengthSeconds: 277,
    }),
    decoys: [
      {
        c: cand('Oasis\\Knebworth\\Live Forever (Live at Knebworth).flac', { lengthSeconds: 278 }),
        reason: /^live, not requested$/,
      },
    ],
  },
  {
    name: 'band named Live',
    target: {
      artist: 'Live',
      title: 'Lightning Crashes',
      album: 'Throwing Copper',
      durationSeconds: 325,
    },
    // "Live" twice in the path, once per folder: the band's name, not a live recording.
    right: cand('Live\\Live - Throwing Copper\\05 - Lightning Crashes.flac', {
      lengthSeconds: 325,
    }),
    decoys: [
      {
        c: cand('Live\\Throwing Copper\\05 - Lightning Crashes (Remix).flac', {
          lengthSeconds: 325,
        }),
        reason: /^remix/,
      },
      {
        c: cand('Live\\Throwing Copper\\05 - Lightning Crashes.mp3', {
          bitRate: 320,
          lengthSeconds: 325,
        }),
      },
    ],
  },
  {
    name: 'free slot breaks a tie within a tier',
    right: cand(`${base}06 - Karma Police.flac`, { username: 'b' }),
    decoys: [
      { c: cand(`${base}06 - Karma Police.flac`, { username: 'a', hasFreeUploadSlot: false }) },
    ],
  },
  {
    name: 'shorter queue within a tier',
    right: cand(`${base}06 - Karma Police.flac`, {
      username: 'z',
      hasFreeUploadSlot: false,
      queueLength: 2,
    }),
    decoys: [
      {
        c: cand(`${base}06 - Karma Police.flac`, {
          username: 'a',
          hasFreeUploadSlot: false,
          queueLength: 50,
        }),
      },
    ],
  },
  {
    name: 'a peer that failed us before',
    right: cand(`${base}06 - Karma Police.flac`, { username: 'good' }),
    decoys: [{ c: cand(`${base}06 - Karma Police.flac`, { username: 'bad' }) }],
    records: { bad: { successes: 0, failures: 10 }, good: { successes: 3, failures: 0 } },
  },
  {
    name: 'album folder is a bonus',
    right: cand(`${base}06 - Karma Police.flac`, { username: 'z' }),
    decoys: [{ c: cand('Music\\Radiohead\\Best Of\\Karma Police.flac', { username: 'a' }) }],
  },
  {
    name: 'FLAC beats WAV',
    right: cand(`${base}06 - Karma Police.flac`, {
      username: 'z',
      hasFreeUploadSlot: false,
      queueLength: 1,
    }),
    decoys: [{ c: cand(`${base}06 - Karma Police.wav`, { username: 'a' }) }],
  },
  {
    name: 'diacritics and a live decoy',
    target: { artist: 'Sigur Rós', title: 'Hoppípolla', album: 'Takk...', durationSeconds: 268 },
    right: cand('Sigur Ros\\Takk\\02 Hoppipolla.mp3', { bitRate: 256, lengthSeconds: 268 }),
    decoys: [
      {
        c: cand('Sigur Ros\\Takk\\02 Hoppipolla (Live).flac', { lengthSeconds: 268 }),
        reason: /^live/,
      },
    ],
  },
  {
    name: 'Opus 160 beats MP3 128',
    right: cand(`${base}06 - Karma Police.opus`, {
      bitRate: 160,
      username: 'z',
      hasFreeUploadSlot: false,
    }),
    decoys: [{ c: cand(`${base}06 - Karma Police.mp3`, { bitRate: 128, username: 'a' }) }],
  },
  {
    name: 'featured artist in the title',
    target: {
      artist: 'Mark Ronson',
      title: 'Uptown Funk (feat. Bruno Mars)',
      durationSeconds: 270,
    },
    right: cand('Mark Ronson - Uptown Funk.mp3', { ...mp3_320, lengthSeconds: 270 }),
    decoys: [
      {
        c: cand('Mark Ronson - Uptown Funk (Dave Remix).flac', { lengthSeconds: 270 }),
        reason: /^remix/,
      },
      {
        c: cand('Bruno Mars\\Uptown Funk.flac', { lengthSeconds: 270 }),
        reason: /^artist not in path$/,
      },
    ],
  },
  {
    name: 'artist only in a folder vs no artist at all',
    right: cand('Music\\Radiohead\\1997 - OK Computer\\06 Karma Police.mp3', { bitRate: 192 }),
    decoys: [{ c: cand('Music\\Various\\06 Karma Police.flac'), reason: /^artist not in path$/ }],
  },
  {
    name: 'V0 beats 192 CBR; unknown bitrate loses to 320',
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 245, isVariableBitRate: true }),
    decoys: [
      { c: cand(`${base}06 - Karma Police.mp3`, { bitRate: 192, username: 'a' }) },
      { c: cand(`${base}06 - Karma Police.mp3`, { username: 'b' }) },
    ],
  },
  {
    name: 'a one-letter word in the artist is not matched inside another word',
    target: { artist: 'Air', title: 'Sexy Boy', durationSeconds: 298 },
    right: cand('Air\\Moon Safari\\02 Sexy Boy.mp3', { bitRate: 256, lengthSeconds: 298 }),
    decoys: [
      {
        c: cand('Fair Play\\Sexy Boy.flac', { lengthSeconds: 298 }),
        reason: /^artist not in path$/,
      },
    ],
  },
  // Realistic result sets (ranking-cases-realistic.ts) follow.
  ...realisticCases,
];
