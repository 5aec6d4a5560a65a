import fc from 'fast-check';
import { anyText, type Json } from './api-arbitraries.js';

/**
 * fast-check generators for the naming-pattern settings (`namingPattern`, `multiDiscNamingPattern`):
 * patterns put together from tokens and text, most of them valid, with every way README's
 * "Naming patterns" lists of getting one wrong mixed in (unknown tokens and formats, stray braces,
 * characters a file name cannot hold, empty, `.` and `..` folders, a leading or trailing `/`, too
 * many parts, too long, no title or track in the file name).
 */

const GOOD_TOKENS = [
  '{Album Artist Name}',
  '{Artist Name}',
  '{artist name}',
  '{ARTIST_NAME}',
  '{Artist.Name}',
  '{Track ArtistName}',
  '{Album Title}',
  '{Album Title:30}',
  '{album-title}',
  '{Release Year}',
  '{(Release Year)}',
  '{Release Year:0000}',
  '{ - Album Title}',
  '{[Genre]}',
  '{Genre}',
  '{medium}',
  '{medium:00}',
  '{ext}',
];
const TITLE_TOKENS = [
  '{Track Title}',
  '{track title}',
  '{TRACK.TITLE}',
  '{Track Title:999}',
  '{Track Title:1}',
  '{track}',
  '{track:00}',
  '{track:000000000}',
  '{Track Title}{ (Release Year)}',
];
const BAD_TOKENS = [
  '{Album Name}',
  '{Disc}',
  '{Títle}',
  '{}',
  '{ }',
  '{track:xx}',
  '{track:0000000000}',
  '{track:}',
  '{Track Title:0}',
  '{Track Title:1000}',
  '{Track Title:00}',
  '{Release Year:4}',
  '{Track Title!}',
  '{Track {Title}}',
];
const GOOD_TEXT = [
  ' - ',
  ' ',
  '.',
  '_',
  'Disc ',
  '(',
  ')',
  '[',
  ']',
  'Music',
  'Ünïcødé',
  '🎵',
  '{{',
  '}}',
  '+',
  '%',
  'CON',
];
const BAD_TEXT = [
  '{',
  '}',
  ':',
  '<',
  '>',
  '"',
  '|',
  '?',
  '*',
  '\\',
  '\u0001',
  '\u007f',
  '\u0085',
  '\u0000',
];

const piece = (good: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...good) },
    { weight: 10, arbitrary: fc.constantFrom(...GOOD_TEXT) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_TOKENS) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_TEXT) },
  );
const folder = fc
  .array(piece([...GOOD_TOKENS, ...TITLE_TOKENS]), { minLength: 1, maxLength: 4 })
  .map((p) => p.join(''));
/** A file name: with a title or track token mostly, so that most patterns are valid. */
const fileName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(piece(GOOD_TOKENS), { maxLength: 2 }),
        fc.constantFrom(...TITLE_TOKENS),
        fc.array(piece(GOOD_TOKENS), { maxLength: 2 }),
      )
      .map(([a, t, b]) => [...a, t, ...b].join('')),
  },
  {
    weight: 1,
    arbitrary: fc.array(piece(GOOD_TOKENS), { minLength: 1, maxLength: 3 }).map((p) => p.join('')),
  },
);

const EDGES = [
  '',
  ' ',
  '/',
  '{Track Title}',
  '/{Track Title}',
  '{Track Title}/',
  'A//{Track Title}',
  'A/ /{Track Title}',
  './{Track Title}',
  '../{Track Title}',
  'A/ .. /{Track Title}',
  'A/...{Track Title}/{track}',
  '{Track Title}.{ext}',
  '{Track Title}{.ext}',
  '{Track Title}/{Album Title}',
  '{Artist Name}/{Album Title}',
  `${'A/'.repeat(9)}{Track Title}`,
  `${'A/'.repeat(10)}{Track Title}`,
  `${'x'.repeat(487)}{Track Title}`,
  `${'x'.repeat(488)}{Track Title}`,
  `${'é'.repeat(487)}{Track Title}`,
  `${'🎵'.repeat(244)}{Track Title}`,
  '{Track Title}\ud800',
];

/** A value for `namingPattern` or `multiDiscNamingPattern`. */
export const namingPattern: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(fc.array(folder, { maxLength: 3 }), fileName)
      .map(([folders, file]) => [...folders, file].join('/')),
  },
  { weight: 3, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 1, arbitrary: anyText },
);

/** A value for `transcodeAction`: 'reject' | 'warn', or nearly. */
export const transcodeAction: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  'reject',
  'warn',
  'reject',
  'warn',
  'Warn',
  'REJECT',
  ' warn',
  'ignore',
  '',
  true,
  0,
);
