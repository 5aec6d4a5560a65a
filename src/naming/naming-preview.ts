import { Type, type Static } from 'typebox';
import { Text } from '../http/schemas.js';
import { planLibraryPath, type NamingPatterns } from '../library/naming.js';
import {
  MAX_PATTERN_LENGTH,
  NamingPatternError,
  namingPatternProblem,
  type TrackNaming,
} from '../library/naming-pattern.js';

/** POST /api/naming/preview: what a pattern makes of a track, before it is saved as a setting. */

const Pattern = Text({ minLength: 1, maxLength: MAX_PATTERN_LENGTH });
const OptionalText = (max: number) =>
  Type.Optional(Type.Union([Text({ maxLength: max }), Type.Null()]));
const OptionalInt = (min: number, max: number) =>
  Type.Optional(Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.Null()]));

/** The track fields as POST /api/downloads takes them, plus the disc total and the extension. */
const PreviewTrack = Type.Object(
  {
    artist: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
    title: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
    album: OptionalText(500),
    albumArtist: OptionalText(500),
    trackNumber: OptionalInt(1, 999),
    discNumber: OptionalInt(1, 99),
    discTotal: OptionalInt(1, 99),
    year: OptionalInt(0, 9999),
    genre: OptionalText(200),
    /** Without the dot; default "flac". */
    extension: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,16}$' })),
  },
  { additionalProperties: false },
);

export const NamingPreviewBody = Type.Object(
  {
    /** Absent: the setting in force. */
    namingPattern: Type.Optional(Pattern),
    multiDiscNamingPattern: Type.Optional(Pattern),
    /** Absent: a sample track. */
    track: Type.Optional(PreviewTrack),
  },
  { additionalProperties: false },
);
export type NamingPreviewInput = Static<typeof NamingPreviewBody>;

export const NamingPreviewSchema = Type.Object({
  path: Type.String({ description: 'Relative to the library folder, "/" between folders' }),
  segments: Type.Array(Type.String()),
  multiDisc: Type.Boolean({ description: 'Whether the multi-disc pattern named it' }),
  pattern: Type.String({ description: 'The pattern that applied' }),
  examples: Type.Object(
    {
      standard: Type.String(),
      multiDisc: Type.String(),
    },
    { description: 'The sample track as a single disc, and as disc 2 of 2' },
  ),
});
export type NamingPreview = Static<typeof NamingPreviewSchema>;

export const SAMPLE_TRACK: TrackNaming = {
  artist: 'Nina Simone',
  album: 'Pastel Blues',
  title: 'Sinnerman',
  trackNumber: 7,
  year: 1965,
  genre: 'Jazz',
  extension: 'flac',
};

const pathOf = (t: TrackNaming, patterns: NamingPatterns): string =>
  planLibraryPath(t, patterns).segments.join('/');

/**
 * The path `track` (or the sample) gets with the given patterns, each falling back to the setting
 * in force. An invalid pattern throws NamingPatternError naming the field ("namingPattern has …").
 */
export function previewNaming(input: NamingPreviewInput, current: NamingPatterns): NamingPreview {
  for (const field of ['namingPattern', 'multiDiscNamingPattern'] as const) {
    const value = input[field];
    const problem = value === undefined ? null : namingPatternProblem(value);
    if (problem !== null) throw new NamingPatternError(`${field} ${problem}`);
  }
  const patterns: NamingPatterns = {
    namingPattern: input.namingPattern ?? current.namingPattern,
    multiDiscNamingPattern: input.multiDiscNamingPattern ?? current.multiDiscNamingPattern,
  };
  const track: TrackNaming = input.track
    ? { ...input.track, extension: input.track.extension ?? 'flac' }
    : SAMPLE_TRACK;
  const plan = planLibraryPath(track, patterns);
  return {
    path: plan.segments.join('/'),
    segments: plan.segments,
    multiDisc: plan.multiDisc,
    pattern: plan.multiDisc ? patterns.multiDiscNamingPattern : patterns.namingPattern,
    examples: {
      standard: pathOf(SAMPLE_TRACK, patterns),
      multiDisc: pathOf({ ...SAMPLE_TRACK, discNumber: 2, discTotal: 2 }, patterns),
    },
  };
}
