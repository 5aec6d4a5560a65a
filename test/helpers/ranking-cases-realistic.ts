import { base, cand, karma, type DecoyCase } from './ranking-fixtures.js';

/**
 * Realistic result sets for explainable matching (issue 8), part of the ranking table
 * (ranking-cases.ts): many decoys at once, each losing for its own reason, the right file mostly
 * at a lower quality than they are; odd unicode, Windows and `@@` paths, tags, free search text.
 */
export const realisticCases: DecoyCase[] = [
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
  {
    name: 'a short two-word title is not found inside other words ("I Am" in "William", "Miami")',
    target: { artist: 'Hilary Duff', title: 'I Am', durationSeconds: 264 },
    right: cand('Hilary Duff\\Dignity\\05 - I Am.mp3', { bitRate: 192 }),
    decoys: [
      { c: cand('Hilary Duff - William.flac'), reason: /^title not in file name$/ },
      { c: cand('Hilary Duff\\Most Wanted\\02 - Miami.flac'), reason: /^title not in file name$/ },
    ],
  },
  {
    name: 'a short two-word artist is not found inside a folder name ("A Ha" in "Bahamas")',
    target: { artist: 'A Ha', title: 'Take On Me', durationSeconds: 264 },
    right: cand('a-ha\\Hunting High and Low\\01 Take On Me.mp3', { bitRate: 192 }),
    decoys: [{ c: cand('@@x\\Bahamas\\Take On Me.flac'), reason: /^artist not in path$/ }],
  },
  {
    name: 'names written together still match as whole words ("ACDC", "DaftPunk")',
    target: { artist: 'AC/DC', title: 'Back in Black', durationSeconds: 264 },
    right: cand('ACDC\\Back in Black\\06 BackInBlack.mp3', { bitRate: 192 }),
    decoys: [{ c: cand('ACDC\\Back in Blackout.flac'), reason: /^title not in file name$/ }],
  },
  {
    name: '"Live" in the title allows no live folder (album given)',
    target: {
      artist: 'Oasis',
      title: 'Live Forever',
      album: 'Definitely Maybe',
      durationSeconds: 264,
    },
    right: cand('Oasis\\Definitely Maybe\\05 - Live Forever.mp3', { bitRate: 192 }),
    decoys: [
      {
        c: cand('Oasis\\Familiar to Millions (Live)\\03 - Live Forever.flac'),
        reason: /^live, not/,
      },
      {
        c: cand('Oasis\\Live Forever (Live at Knebworth)\\Live Forever.flac'),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: '"Live" in the title allows no live folder (no album), the single\'s folder is fine',
    target: { artist: 'Oasis', title: 'Live Forever', durationSeconds: 264 },
    right: cand('Oasis\\Oasis - Live Forever (Single)\\01 - Live Forever.mp3', { bitRate: 192 }),
    decoys: [
      {
        c: cand('Oasis\\Familiar to Millions (Live)\\03 - Live Forever.flac'),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'the band Live: its name allows no live album',
    target: { artist: 'Live', title: 'Lightning Crashes', durationSeconds: 264 },
    right: cand('Live\\Live - Throwing Copper\\05 - Lightning Crashes.mp3', { bitRate: 192 }),
    decoys: [
      { c: cand('Live\\Woodstock 1994 (Live)\\Lightning Crashes.flac'), reason: /^live, not/ },
    ],
  },
  {
    name: 'the band Live: a year before its name is still its name, "Live at …" is its live album',
    target: { artist: 'Live', title: 'Lightning Crashes', durationSeconds: 264 },
    right: cand('Live\\[1994] Live - Throwing Copper\\05 - Live - Lightning Crashes.mp3', {
      bitRate: 192,
    }),
    decoys: [
      { c: cand('Live\\Live at the Paradiso\\Lightning Crashes.flac'), reason: /^live, not/ },
      { c: cand('Live\\Singles\\Lightning Crashes (Live).flac'), reason: /^live, not/ },
      {
        c: cand('Radiohead\\Live in Paris\\Live - Lightning Crashes.flac'),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'a version word in the album asked for allows its folder, not another live album',
    target: {
      artist: 'Hole',
      title: 'Doll Parts',
      album: 'Live Through This',
      durationSeconds: 264,
    },
    right: cand('Hole\\1994 - Live Through This\\03 - Doll Parts.mp3', { bitRate: 192 }),
    decoys: [
      { c: cand('Hole\\Live at Reading 1994\\Doll Parts.flac'), reason: /^live, not/ },
      { c: cand('Hole\\Live Through This\\Doll Parts (Remix).flac'), reason: /^remix, not/ },
    ],
  },
  {
    name: 'a band with a version word in its name: its folders and file names are its own',
    target: { artist: 'The Cover Girls', title: 'Because of You', durationSeconds: 264 },
    right: cand('Cover Girls\\1987 - Show Me\\04 The Cover Girls - Because of You.mp3', {
      bitRate: 192,
    }),
    decoys: [
      {
        c: cand('The Cover Girls\\Because of You (Karaoke Version).flac'),
        reason: /^karaoke, not/,
      },
      {
        c: cand('The Cover Girls\\Live in Miami\\Because of You.flac'),
        reason: /^live, not/,
      },
    ],
  },
  {
    name: 'version words as peers spell them: Re-Mix, 12" Mix, Instr., En Vivo',
    right: cand(`${base}06 - Karma Police.mp3`, { bitRate: 192 }),
    decoys: [
      { c: cand(`${base}06 - Karma Police (Re-Mix).flac`), reason: /^remix, not/ },
      { c: cand(`${base}06 - Karma Police (12" Mix).flac`), reason: /^remix, not/ },
      { c: cand(`${base}06 - Karma Police (Instr.).flac`), reason: /^instrumental, not/ },
      { c: cand('Radiohead\\En Vivo 2001\\Karma Police.flac'), reason: /^live, not/ },
    ],
  },
];
