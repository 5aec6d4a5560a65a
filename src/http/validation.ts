import { Ajv, type ErrorObject, type SchemaValidateFunction } from 'ajv';

/**
 * The schema keyword every text field carries (schemas.ts `Text`): the string must be text both
 * databases store as sent. PostgreSQL refuses NUL in `text` (a 500 before this rule), and a lone
 * UTF-16 surrogate has no UTF-8 form, so either driver would silently store U+FFFD instead.
 * The `x-` prefix keeps the published OpenAPI document valid.
 */
export const TEXT_KEYWORD = 'x-well-formed-text';

/** Ids are UUIDs the application made (randomUUID: lowercase), so nothing else can name a row. */
export const UUID_FORMAT = 'uuid';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `date-time` is the JSON Schema format, but Ajv checks no format it was not given: without this,
 * "garbage" passed as a time, became NaN, and PostgreSQL refused it (a 500) while SQLite stored a
 * schedule with no time. RFC 3339, as far as a JavaScript Date can hold it: seconds 00–59 (no leap
 * second), a four-digit year, a date that exists, and Z or an offset.
 */
export const DATE_TIME_FORMAT = 'date-time';
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.UTC rolls an impossible day over ("02-30" becomes March 2): a real date comes back unchanged.
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    Number.isFinite(Date.parse(text))
  );
}

// In a `u` regex a character class of surrogates matches only unpaired ones; pairs are one code point.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why `text` cannot be stored as sent, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must not contain lone UTF-16 surrogates';
  return undefined;
}

// Ajv reads a function keyword's errors from the function itself, after each call.
const checkText: SchemaValidateFunction = (enabled: boolean, data: unknown) => {
  const problem = enabled && typeof data === 'string' ? textProblem(data) : undefined;
  if (problem === undefined) return true;
  checkText.errors = [{ keyword: TEXT_KEYWORD, message: problem, params: {} }];
  return false;
};

function withRules(ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: TEXT_KEYWORD,
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: checkText,
  });
  ajv.addFormat(UUID_FORMAT, UUID);
  ajv.addFormat(DATE_TIME_FORMAT, { type: 'string', validate: isDateTime });
  return ajv;
}

/**
 * Query strings and path params arrive as text and need coercion; JSON bodies must not be coerced
 * (a number where a string belongs, or 0 where null is allowed, is a client error, not a value).
 */
export function validators(): { body: Ajv; other: Ajv } {
  return {
    body: withRules(new Ajv({ allErrors: false, useDefaults: true, strict: false })),
    other: withRules(
      new Ajv({ allErrors: false, useDefaults: true, coerceTypes: 'array', strict: false }),
    ),
  };
}

/** "body/trackNumber must be >= 1", "body/titel is not a known field": the field is always named. */
export function describeValidation(errors: ErrorObject[], dataVar: string): string {
  return errors
    .map((e) => {
      const field = `${dataVar}${e.instancePath}`;
      if (e.keyword === 'additionalProperties') {
        return `${field}/${String(e.params.additionalProperty)} is not a known field`;
      }
      if (e.keyword === 'required')
        return `${field}/${String(e.params.missingProperty)} is required`;
      if (e.keyword === 'format' && e.params.format === UUID_FORMAT)
        return `${field} must be a lowercase UUID, as SoulSpot returns ids`;
      if (e.keyword === 'format' && e.params.format === DATE_TIME_FORMAT)
        return `${field} must be an RFC 3339 date-time such as "2026-01-31T22:00:00Z"`;
      return `${field} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}
