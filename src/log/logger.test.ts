import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

const API_KEY = 'soulspot-key-from-file-0123456789';
const SLSKD_KEY = 'slskd-env-key-abcdef';
const DB_PASSWORD = 'pg-password-hunter2';

/** Logs through the real setup into memory and returns the lines as written. */
function capture(log: (logger: ReturnType<typeof createLogger>) => void): string {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({
    level: 'info',
    secrets: [API_KEY],
    env: {
      SOULSPOT_SLSKD_API_KEY: SLSKD_KEY,
      SOULSPOT_DATABASE_URL: `postgres://soulspot:${DB_PASSWORD}@db/soulspot`,
      SOULSPOT_PORT: '8765',
    },
    destination,
  });
  log(logger);
  logger.flush();
  return chunks.join('');
}

describe('the process logger', () => {
  it('keeps secrets out of every part of a line', () => {
    const out = capture((log) => {
      log.warn(
        { id: 'd1', message: `slskd is unreachable at http://admin:${DB_PASSWORD}@slskd:5030` },
        'download failed',
      );
      log.info({ apiKey: API_KEY, config: { slskdApiKey: SLSKD_KEY } }, 'settings');
      log.info({ headers: { 'x-api-key': 'a-header-value-xyz' } }, 'request');
      log.error(
        { error: `Error: bad key ${SLSKD_KEY} at postgres://u:${DB_PASSWORD}@h/x` },
        'oops',
      );
      log.info(`started with key ${API_KEY}`);
      log.info({ nested: { deep: [`"quoted ${API_KEY}"`] } }, 'nested');
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    for (const secret of [API_KEY, SLSKD_KEY, DB_PASSWORD, 'a-header-value-xyz', 'admin:']) {
      expect(out).not.toContain(secret);
    }
    // What is not secret stays readable.
    expect(out).toContain('slskd is unreachable at http://[redacted]@slskd:5030');
    expect(out).toContain('"msg":"download failed"');
    expect(out).toContain('"id":"d1"');
  });

  it('redacts the session cookie in request and response headers, wherever they are nested', () => {
    const token = 'soulspot_session=tok-0123456789abcdef';
    const out = capture((log) => {
      log.info({ req: { headers: { cookie: token, host: 'h' } } }, 'incoming');
      log.info({ res: { headers: { 'set-cookie': [`${token}; HttpOnly`] } } }, 'outgoing');
      log.info({ headers: { cookie: token, 'set-cookie': token } }, 'plain');
      log.info({ request: { headers: { cookie: token, authorization: 'Bearer abcdefgh' } } }, 'x');
    });
    expect(out).not.toContain('tok-0123456789abcdef');
    expect(out).not.toContain('Bearer abcdefgh');
    expect(out.match(/\[redacted\]/g)?.length).toBe(6);
    expect(out).toContain('"host":"h"');
  });

  it('leaves short values of SOULSPOT_*KEY* variables alone (they would shred every line)', () => {
    const chunks: string[] = [];
    const logger = createLogger({
      level: 'info',
      secrets: [],
      env: { SOULSPOT_SLSKD_API_KEY: 'info' },
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          chunks.push(chunk.toString());
          done();
        },
      }),
    });
    logger.info('some info');
    expect(chunks.join('')).toContain('"msg":"some info"');
  });
});
