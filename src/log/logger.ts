import { pino, type DestinationStream, type Logger } from 'pino';
import { createSecretStore, REDACTED, secretsFromEnv, type SecretStore } from './redact.js';

/**
 * Fields that hold a secret wherever they are logged. Paths, not patterns: pino's redaction is
 * compiled once and cheap. Everything else is caught by the line scrubber below.
 */
export const REDACT_PATHS = [
  'apiKey',
  'slskdApiKey',
  'password',
  'headers["x-api-key"]',
  'headers.authorization',
  // The session cookie is as good as the API key for 30 days (src/session).
  'headers.cookie',
  'headers["set-cookie"]',
  '*.apiKey',
  '*.slskdApiKey',
  '*.password',
  '*.headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level: string;
  /** Secret values known to the caller (SoulSpot's own key, which may come from a file). */
  secrets: Array<string | undefined>;
  /** The environment whose SOULSPOT_*KEY* values are scrubbed; process.env by default. */
  env?: Record<string, string | undefined>;
  /** Where lines go; stdout by default (tests pass a stream). */
  destination?: DestinationStream;
  /** Secrets learnt later (sources added through the API); `secrets` and the env's are added to it. */
  store?: SecretStore;
}

/**
 * The process logger. Known secret fields are replaced by pino's `redact`; then every finished line
 * is scrubbed of `user:password@` in URLs and of the secret values themselves, wherever they sit
 * (a message, an error text from slskd, a nested field nobody thought of).
 */
export function createLogger(options: LoggerOptions): Logger {
  const store = options.store ?? createSecretStore([]);
  store.add([...options.secrets, ...secretsFromEnv(options.env ?? process.env)]);
  const scrub = (text: string): string => store.scrub(text);
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Runs on the serialized JSON, so it sees exactly what would be written.
      hooks: { streamWrite: scrub },
    },
    options.destination,
  );
}
