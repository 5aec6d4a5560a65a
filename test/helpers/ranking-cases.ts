import type { Candidate } from '../../src/providers/provider.js';
import { extensionOf } from '../../src/matching/quality-policy.js';
import type { PeerRecord, TrackTarget } from '../../src/matching/ranking.js';

/**
 * The ranking's table of realistic result sets: in each, the right file and decoys that must lose
 * (most with the reason they are rejected for). src/matching/ranking.test.ts runs them against the
 * ranking; quality-profile-ranking.test.ts checks the default profile ranks them identically.
 */

export function cand(filename: string, overrides: Partial<Candidate> = {}): Candidate {
  return {
    provider: 'slskd',
    username: 'peer',
    filename,
    size: 30_000_000,
    extension: extensionOf(filename),
    lengthSeconds: 264,
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 1_000_000,
    ...overrides,
  };
}

export const karma: TrackTarget = {
  artist: 'Radiohead',
  title: 'Karma Police',
  album: 'OK Computer',
  durationSeconds: 264,
};
export const base = 'Music\\Radiohead\\OK Computer\\';
const mp3_320 = { bitRate: 320 };

export interface DecoyCase {
  name: string;
  target?: TrackTarget;
  right: Candidate;
  decoys: { c: Candidate; reason?: RegExp }[];
  blocked?: string;
  records?: Record<string, PeerRecord>;
}

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
  // Realistic result sets for explainable matching (issue 8): many decoys at once, each losing
  // for its own reason, the right file mostly at a lower quality than they are.
  {
    name: 'a full result set: the studio MP3 192 against FLAC versions of every kind',
    right: cand('@@rh\\Music\\Radiohead\\OK Computer\\06 - Karma Police.mp3', {
      bitRate: 192,
      username: 'slow',
      hasFreeUploadSlot: false,
      queueLength: 12,
      uploadSpeed: 20_000,
    }),
    decoys: [
      { c: cand('Radiohead\\Live at Wembley\\03 - Karma Police.flac'), reason: /^live, not/ },
      { c: cand('Radiohead - Karma Police (Acoustic).flac'), reason: /^acoustic, not/ },
      { c: cand('Radiohead\\MTV Unplugged\\Karma Police.flac'), reason: /^acoustic, not/ },
      {
        c: cand('Karaoke\\Karma Police (In the Style of Radiohead).flac'),
        reason: /^karaoke, not/,
      },
      { c: cand('Tribute to Radiohead\\Karma Police.flac'), reason: /^tribute, not/ },
      {
        c: cand('Rockabye Baby\\Lullaby Renditions of Radiohead\\Karma Police.flac'),
        reason: /^tribute, not/,
      },
      { c: cand('Radiohead\\Demos\\Karma Police (Demo).flac'), reason: /^demo, not/ },
      { c: cand(`${base}06 - Karma Police (Instrumental).flac`), reason: /^instrumental, not/ },
      { c: cand('Radiohead\\Singles\\Karma Police (Edit).flac'), reason: /^edit, not/ },
      {
        c: cand('Vitamin String Quartet\\Radiohead Covers\\Karma Police.flac'),
        reason: /^cover, not/,
      },
      { c: cand(`${base}06 - Karma Police (Extended Mix).flac`), reason: /^remix, not/ },
      { c: cand('Radiohead\\Bootlegs 1997\\Karma Police.flac'), reason: /^bootleg, not/ },
      { c: cand('Radiohead\\Peel Sessions\\Karma Police.flac'), reason: /^session, not/ },
      { c: cand(`${base}06 - Karma Police (Reprise).flac`), reason: /^reprise, not/ },
      { c: cand('Coldplay\\Karma Police.flac'), reason: /^artist not in path$/ },
      { c: cand(`${base}07 - Electioneering.flac`), reason: /^title not in file name$/ },
    ],
  },
  {
    name: 'a remaster is the recording, not a version',
    right: cand('Radiohead\\OK Computer (2017 Remaster)\\06 - Karma Police (Remastered).mp3', {
      bitRate: 256,
    }),
    decoys: [{ c: cand(`${base}06 - Karma Police (Live).flac`), reason: /^live, not/ }],
  },
  {
    name: 'bracketed extras in the request',
    target: { ...karma, title: 'Karma Police [2017 Remaster]' },
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 256 }),
    decoys: [
      { c: cand(`${base}06 - Karma Police [Live].flac`), reason: /^live, not/ },
      { c: cand(`${base}06 - Lucky.flac`), reason: /^title not in file name$/ },
    ],
  },
  {
    name: 'Windows drive paths and an @@ share alias that says "live"',
    right: cand('@@live-recordings\\Radiohead\\OK Computer\\06 Karma Police.mp3', {
      bitRate: 256,
      username: 'z',
    }),
    decoys: [
      {
        c: cand('C:\\Users\\bob\\Music\\Radiohead\\Live\\06 - Karma Police.flac', {
          username: 'bob',
        }),
        reason: /^live, not/,
      },
      {
        c: cand('C:\\Users\\bob\\Music\\Radiohead\\OK Computer\\06 - Karma Police.mp3', {
          bitRate: 128,
          username: 'bob',
        }),
      },
    ],
  },
  {
    name: 'vinyl and multi-disc track numbers still make an exact name',
    right: cand('Radiohead\\OK Computer (Vinyl)\\B2 Karma Police.flac', { username: 'z' }),
    decoys: [
      { c: cand('Radiohead\\OK Computer (Vinyl)\\B2 Karma Police Karma.flac', { username: 'a' }) },
      { c: cand('Radiohead\\Karma Police single\\1-01 Karma Police.flac', { username: 'b' }) },
    ],
  },
  {
    name: 'diacritics on one side only, a club mix decoy',
    target: { artist: 'Beyonce', title: 'Deja Vu', album: "B'Day", durationSeconds: 240 },
    right: cand("@@b\\Beyoncé\\B'Day\\02 - Déjà Vu.mp3", { bitRate: 256, lengthSeconds: 240 }),
    decoys: [
      {
        c: cand('Beyoncé - Déjà Vu (Freemasons Club Mix).flac', { lengthSeconds: 240 }),
        reason: /^remix, not/,
      },
      {
        c: cand('Beyonce\\Deja Vu (Instrumental).flac', { lengthSeconds: 240 }),
        reason: /^instrumental, not/,
      },
    ],
  },
  {
    name: 'decomposed accents, a no-break space and a zero-width space in peer names',
    target: { artist: 'Sigur Rós', title: 'Hoppípolla', durationSeconds: 268 },
    right: cand('Sigur Ro\u0301s\\Takk\u00a0(2005)\\02 Hoppi\u0301polla.mp3', {
      bitRate: 256,
      lengthSeconds: 268,
    }),
    decoys: [
      {
        c: cand('Sigur\u200bRós\\Hoppípolla (Live at Ásbyrgi).flac', { lengthSeconds: 268 }),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'Japanese: a voiced mark makes another word; full-width digits',
    target: { artist: 'ザ・ピロウズ', title: 'ハイブリッド レインボウ', durationSeconds: 300 },
    right: cand('@@jp\\ザ・ピロウズ\\Please Mr. Lostman\\０７ ハイブリッド レインボウ.mp3', {
      bitRate: 320,
      lengthSeconds: 300,
    }),
    decoys: [
      {
        c: cand('ザ・ピロウズ\\ハイフリット レインホウ.flac', { lengthSeconds: 300 }),
        reason: /^title not in file name$/,
      },
      {
        c: cand('ザ・ピロウズ\\Live\\ハイブリッド レインボウ.flac', { lengthSeconds: 300 }),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'Cyrillic and Korean titles match themselves',
    target: { artist: 'Кино', title: 'Группа крови', durationSeconds: 286 },
    right: cand('Кино\\Группа крови (1988)\\01. Группа крови.mp3', {
      bitRate: 320,
      lengthSeconds: 286,
    }),
    decoys: [
      {
        c: cand('Кино\\Концерт\\Группа крови (live).flac', { lengthSeconds: 286 }),
        reason: /^live, not/,
      },
      {
        c: cand('Кино - Группа Крови (cover by Би-2).flac', { lengthSeconds: 286 }),
        reason: /^cover, not/,
      },
      {
        c: cand('아이유\\Real\\03. 좋은 날.flac', { lengthSeconds: 286 }),
        reason: /^title not in file name$/,
      },
    ],
  },
  {
    name: '"&", "and" and "+" are one word',
    target: { artist: 'Simon & Garfunkel', title: 'The Boxer', durationSeconds: 308 },
    right: cand('Simon + Garfunkel\\Bridge Over Troubled Water\\03 The Boxer.mp3', {
      bitRate: 256,
      lengthSeconds: 308,
    }),
    decoys: [
      {
        c: cand('Simon and Garfunkel\\The Concert in Central Park\\The Boxer (Live).flac', {
          lengthSeconds: 308,
        }),
        reason: /^live, not/,
      },
      {
        c: cand('Mumford & Sons\\The Boxer (Simon & Garfunkel cover).flac', {
          lengthSeconds: 308,
        }),
        reason: /^cover, not/,
      },
    ],
  },
  {
    name: 'feat. in the request, ft. in the file name',
    target: {
      artist: 'Daft Punk',
      title: 'Get Lucky (feat. Pharrell Williams)',
      durationSeconds: 369,
    },
    right: cand('Daft Punk\\Random Access Memories\\08 - Get Lucky ft. Pharrell Williams.mp3', {
      bitRate: 320,
      lengthSeconds: 369,
    }),
    decoys: [
      {
        c: cand('Daft Punk - Get Lucky (Radio Edit) [feat. Pharrell Williams].flac', {
          lengthSeconds: 369,
        }),
        reason: /^edit, not/,
      },
      {
        c: cand('Daft Punk\\Get Lucky (Daft Punk vs. Nile Rodgers Remix).flac', {
          lengthSeconds: 369,
        }),
        reason: /^remix, not/,
      },
    ],
  },
  {
    name: 'tags stand in for a file name that says nothing',
    right: cand('@@t\\rips\\cd1\\Track06.mp3', {
      bitRate: 256,
      tags: { artist: 'Radiohead', title: 'Karma Police', album: 'OK Computer' },
    }),
    decoys: [
      {
        c: cand('@@t\\rips\\cd2\\Track03.flac', {
          tags: { artist: 'Radiohead', title: 'Karma Police', album: 'Live at Glastonbury' },
        }),
        reason: /^live, not/,
      },
      {
        c: cand('@@t\\rips\\cd1\\Track07.flac', {
          tags: { artist: 'Radiohead', title: 'Climbing Up the Walls', album: 'OK Computer' },
        }),
        reason: /^title not in file name or tags$/,
      },
      { c: cand('@@t\\rips\\cd1\\Track08.flac'), reason: /^title not in file name$/ },
    ],
  },
  {
    name: 'a live album asked for: its folder counts, the studio FLAC does not',
    target: {
      artist: 'Nirvana',
      title: 'About a Girl',
      album: 'MTV Unplugged in New York',
      durationSeconds: 217,
    },
    right: cand('Nirvana\\1994 - MTV Unplugged in New York\\01 - About a Girl.mp3', {
      bitRate: 192,
      lengthSeconds: 217,
    }),
    decoys: [
      {
        c: cand('Nirvana\\Bleach\\02 - About a Girl.flac', { lengthSeconds: 217 }),
        reason: /^not the requested acoustic version$/,
      },
      {
        c: cand('Nirvana\\Nevermind\\About a Girl (Live).flac', { lengthSeconds: 217 }),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'free search text: every word somewhere in the path, in any order',
    target: { artist: '', title: '', keywords: 'radiohead karma police', durationSeconds: null },
    right: cand('Radiohead\\OK Computer\\06 - Karma Police.mp3', { bitRate: 256 }),
    decoys: [
      {
        c: cand('Radiohead\\OK Computer\\02 - Paranoid Android.flac'),
        reason: /^"karma" not in path$/,
      },
      { c: cand('Radiohead\\Karma Police (Live).flac'), reason: /^live, not requested$/ },
    ],
  },
];
