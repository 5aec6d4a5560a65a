/**
 * Scrubbing secrets out of text that leaves the process (log lines, error messages). Pure: the
 * caller hands in the environment and the secrets it knows.
 */

export const REDACTED = '[redacted]';

/**
 * `scheme://userinfo@` — the user and password of a URL (`postgres://soulspot:pw@db/…`,
 * `http://user:secret@slskd:5030`). The userinfo may itself contain unencoded `@` (people write
 * `u:p@ss@host`; URL parsers take the last `@`), so every `…@` segment before the host is taken. A
 * segment stops at `/ ? #`, white space, quotes and backslashes, so it never runs past the end of
 * a URL inside a JSON string or a sentence. Segments cannot overlap (`@` is not in them): linear.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"'\\<>]*@)+/gi;

/** Replaces the user and password in every URL of `text` by one marker; the host stays readable. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** SOULSPOT_API_KEY, SOULSPOT_SLSKD_API_KEY and any later SOULSPOT_*KEY*, *SECRET*, *PASSWORD*, *TOKEN*. */
const SECRET_VARIABLE = /^SOULSPOT_\w*(KEY|SECRET|PASSWORD|TOKEN)\w*$/;

/**
 * Values shorter than this are not scrubbed: replacing "1" or "abc" everywhere would shred every log
 * line, and such a value protects nothing anyway. SoulSpot's own key is at least 16 characters.
 */
export const MIN_SECRET_LENGTH = 6;

/** The values of the secret SOULSPOT_* variables in `env`. */
export function secretsFromEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_VARIABLE.test(name) && value !== undefined)
    .map(([, value]) => value as string);
}

/**
 * A scrubber for the given secret values (plus URL credentials). Each value is also matched in its
 * JSON-escaped form, since log lines are JSON and a `"` or `\` in a value is escaped there.
 */
export function createRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    const value = secret?.trim();
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    needles.add(value);
    needles.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = redactUrlCredentials(text);
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  };
}

/**
 * The passwords of these URLs, as written and decoded: a driver's error text may quote a password
 * without its URL around it.
 */
export function urlPasswords(urls: Array<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const url of urls) {
    if (!url) continue;
    try {
      const parsed = new URL(url);
      const { password } = parsed;
      if (password !== '') {
        out.push(password);
        out.push(decodeURIComponent(password));
      }
      // `postgres://u@db/x?password=…` is the same secret in another place (libpq and
      // node-postgres both take it).
      const inQuery = parsed.searchParams.get('password');
      if (inQuery) out.push(inQuery);
    } catch {
      // Not a URL (config validation says so); nothing to take from it.
    }
  }
  return out;
}

/**
 * A scrubber whose secrets can grow while the process runs: a source added through the API brings
 * its key or password, which must be scrubbed from the next log line on (src/sources).
 */
export interface SecretStore {
  scrub(text: string): string;
  add(secrets: Iterable<string | undefined>): void;
}

export function createSecretStore(initial: Iterable<string | undefined>): SecretStore {
  const known = new Set<string>();
  let scrub = createRedactor([]);
  const add = (secrets: Iterable<string | undefined>): void => {
    const before = known.size;
    for (const s of secrets)
      if (s !== undefined && s.trim().length >= MIN_SECRET_LENGTH) known.add(s);
    if (known.size !== before) scrub = createRedactor(known);
  };
  add(initial);
  return { scrub: (text) => scrub(text), add };
}
