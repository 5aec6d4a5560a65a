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

/** One error's complaint about its own value, without the field: "must be >= 1". */
function complaint(e: ErrorObject): string {
  if (e.keyword === 'format' && e.params.format === UUID_FORMAT)
    return 'must be a lowercase UUID (as SoulSpot returns ids)';
  if (e.keyword === 'format' && e.params.format === DATE_TIME_FORMAT)
    return 'must be an RFC 3339 date-time such as "2026-01-31T22:00:00Z"';
  if (e.keyword === 'const') return `must be ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'enum') {
    const values = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
    return `must be ${values.join(' or ')}`;
  }
  return e.message ?? 'is invalid';
}

/**
 * "must be > 0" and "must be null" read as "must be > 0 or null"; "must not contain NUL
 * characters" and "must be null" as "… or be null".
 */
function either(phrases: string[]): string {
  const [first = 'is invalid', ...rest] = [...new Set(phrases)];
  const lead = first.startsWith('must be ') ? 'must be ' : first.startsWith('must ') ? 'must ' : '';
  const tail = rest.map((p) => (lead !== '' && p.startsWith(lead) ? p.slice(lead.length) : p));
  return [first, ...tail].join(' or ');
}

/**
 * One line per problem. Ajv reports a value that fits no branch of a union (`anyOf`: TypeBox's
 * Union, e.g. a nullable number) as each branch's error plus the union's own, which read as three
 * contradicting sentences ("must be > 0; must be null; must match a schema in anyOf"). Those are
 * put back together here: the branches' complaints joined by "or" ("must be > 0 or null"), or,
 * when the value got inside a branch (an object or list whose part is wrong), only that part's
 * complaint, since the other branches (null) were plainly not meant.
 */
function problems(errors: ErrorObject[]): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const used = new Set<ErrorObject>();
  for (const [i, e] of errors.entries()) {
    if (used.has(e)) continue;
    // Ajv lists a branch's errors before its union's: each waits for the outermost union.
    const inUnion = errors
      .slice(i + 1)
      .some((u) => u.keyword === 'anyOf' && e.schemaPath.startsWith(`${u.schemaPath}/`));
    if (inUnion) continue;
    if (e.keyword !== 'anyOf') {
      out.push({ path: e.instancePath, text: describeOne(e) });
      continue;
    }
    const branches = errors
      .slice(0, i)
      .filter((b) => !used.has(b) && b.schemaPath.startsWith(`${e.schemaPath}/`));
    for (const b of branches) used.add(b);
    const inner = problems(branches);
    // "/x is required" names a field inside the value, as a deeper path does.
    const deeper = inner.filter((p) => p.path !== e.instancePath || p.text.startsWith('/'));
    if (deeper.length > 0) out.push(...deeper);
    else out.push({ path: e.instancePath, text: either(inner.map((p) => p.text)) });
  }
  return out;
}

function describeOne(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties')
    return `/${String(e.params.additionalProperty)} is not a known field`;
  if (e.keyword === 'required') return `/${String(e.params.missingProperty)} is required`;
  return complaint(e);
}

/** "body/trackNumber must be >= 1", "body/titel is not a known field": the field is always named. */
export function describeValidation(errors: ErrorObject[], dataVar: string): string {
  return problems(errors)
    .map(({ path, text }) =>
      text.startsWith('/') ? `${dataVar}${path}${text}` : `${dataVar}${path} ${text}`,
    )
    .join('; ');
}
