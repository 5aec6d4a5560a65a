import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'soulspot-cfg-'));

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ SOULSPOT_DATA_DIR: dataDir() });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8765,
      databaseUrl: null,
      maxConcurrent: 3,
      maxConcurrentPerUser: 1,
      maxRetries: 3,
      retryBackoffSeconds: [60, 300, 900],
      searchTimeoutSeconds: 15,
      stallTimeoutSeconds: 600,
      pollIntervalMs: 2000,
    });
  });

  it('generates an API key once and keeps it in the data dir', () => {
    const dir = dataDir();
    const first = loadConfig({ SOULSPOT_DATA_DIR: dir });
    expect(first.apiKeyGenerated).toBe(true);
    expect(readFileSync(path.join(dir, 'api-key'), 'utf8').trim()).toBe(first.apiKey);
    const second = loadConfig({ SOULSPOT_DATA_DIR: dir });
    expect(second.apiKeyGenerated).toBe(false);
    expect(second.apiKey).toBe(first.apiKey);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        SOULSPOT_DATA_DIR: dataDir(),
        SOULSPOT_PORT: 'eighty',
        SOULSPOT_MAX_CONCURRENT: '0',
        SOULSPOT_DATABASE_URL: 'mysql://x',
        SOULSPOT_RETRY_BACKOFF_SECONDS: '60,soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    for (const name of [
      'SOULSPOT_PORT',
      'SOULSPOT_MAX_CONCURRENT',
      'SOULSPOT_DATABASE_URL',
      'SOULSPOT_RETRY_BACKOFF_SECONDS',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('takes the naming patterns from the environment and refuses a bad one by name', () => {
    const c = loadConfig({
      SOULSPOT_DATA_DIR: dataDir(),
      SOULSPOT_NAMING_PATTERN: '{Artist Name}/{Release Year}/{Track Title}',
    });
    expect(c.namingPattern).toBe('{Artist Name}/{Release Year}/{Track Title}');
    expect(c.multiDiscNamingPattern).toBe(
      '{Album Artist Name}/{Album Title}/Disc {medium}/{track:00} - {Track Title}',
    );
    expect(() =>
      loadConfig({
        SOULSPOT_DATA_DIR: dataDir(),
        SOULSPOT_MULTI_DISC_NAMING_PATTERN: '{Artist Name}/{Disc}/{Track Title}',
      }),
    ).toThrow(/SOULSPOT_MULTI_DISC_NAMING_PATTERN has an unknown token \{Disc\}/);
  });

  it('takes transcodeAction from SOULSPOT_TRANSCODE_ACTION, reject unless told', () => {
    expect(loadConfig({ SOULSPOT_DATA_DIR: dataDir() }).transcodeAction).toBe('reject');
    expect(
      loadConfig({ SOULSPOT_DATA_DIR: dataDir(), SOULSPOT_TRANSCODE_ACTION: 'warn' })
        .transcodeAction,
    ).toBe('warn');
    // Written by hand in a file or a unit: case and stray spaces are not worth a refused start.
    expect(
      loadConfig({ SOULSPOT_DATA_DIR: dataDir(), SOULSPOT_TRANSCODE_ACTION: ' Warn ' })
        .transcodeAction,
    ).toBe('warn');
    expect(() =>
      loadConfig({ SOULSPOT_DATA_DIR: dataDir(), SOULSPOT_TRANSCODE_ACTION: 'ignore' }),
    ).toThrow(/SOULSPOT_TRANSCODE_ACTION must be one of reject, warn \(got "ignore"\)/);
  });

  it('reads a config file, and the environment wins over it', () => {
    const dir = dataDir();
    const file = path.join(dir, 'soulspot.yml');
    writeFileSync(file, 'port: 9100\nmaxRetries: 7\nSOULSPOT_POLL_INTERVAL_MS: 500\n');
    const c = loadConfig({
      SOULSPOT_DATA_DIR: dir,
      SOULSPOT_CONFIG_FILE: file,
      SOULSPOT_MAX_RETRIES: '2',
    });
    expect(c.port).toBe(9100);
    expect(c.pollIntervalMs).toBe(500);
    expect(c.maxRetries).toBe(2);
  });
});

describe('the API key file', () => {
  const keyFileError = (dir: string): ConfigError => {
    try {
      loadConfig({ SOULSPOT_DATA_DIR: dir });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw new Error(`expected a ConfigError, got ${String(error)}`);
    }
    throw new Error('expected the start to stop, but a configuration was returned');
  };
  const withKeyFile = (content: string | Buffer): string => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'api-key'), content);
    return dir;
  };

  // Before: two empty buffers compared equal, so an empty file turned authentication off.
  it.each([
    ['an empty file', ''],
    ['whitespace only', ' \n\t  \n'],
    ['a key shorter than 16 characters', 'short-key-123\n'],
    ['16 characters only with the surrounding whitespace', '  0123456789abc  \n'],
  ])('stops the start on %s, naming the file and what to do', (_name, content) => {
    const dir = withKeyFile(content);
    const error = keyFileError(dir);
    expect(error.message).toContain(path.join(dir, 'api-key'));
    expect(error.message).toMatch(/at least 16 characters/);
    expect(error.message).toMatch(/delete it to have a new key generated, or set SOULSPOT_API_KEY/);
    // The file is left as it was: the user decides (their clients may hold the old key).
    expect(readFileSync(path.join(dir, 'api-key'), 'utf8')).toBe(content);
  });

  it('stops the start when the key is not valid UTF-8', () => {
    const dir = withKeyFile(
      Buffer.from([0x61, 0x62, 0xff, 0xfe, ...Buffer.from('0123456789abcdef')]),
    );
    expect(keyFileError(dir).message).toMatch(/not valid UTF-8/);
  });

  it('stops the start when the key spans several lines', () => {
    const dir = withKeyFile('0123456789abcdef\n0123456789abcdef\n');
    expect(keyFileError(dir).message).toMatch(/control characters|several lines/);
  });

  // Tests run as root, so chmod 000 would not stop a read; a directory or a symlink loop at the
  // path are real read errors for root too.
  it('stops the start when the key path is a directory', () => {
    const dir = dataDir();
    mkdirSync(path.join(dir, 'api-key'));
    const error = keyFileError(dir);
    expect(error.message).toContain(path.join(dir, 'api-key'));
    expect(error.message).toMatch(/cannot be read \(EISDIR/);
  });

  it('stops the start when the key path is a symlink loop', () => {
    const dir = dataDir();
    symlinkSync('api-key', path.join(dir, 'api-key'));
    expect(keyFileError(dir).message).toMatch(/cannot be read \(ELOOP/);
  });

  // Before: readFileSync blocked the start for ever on a FIFO, and never finished on /dev/zero.
  it('stops the start when the key path is a FIFO, without waiting for a writer', () => {
    const dir = dataDir();
    execFileSync('mkfifo', [path.join(dir, 'api-key')]);
    expect(keyFileError(dir).message).toMatch(/cannot be read \(not a regular file/);
  });

  it('stops the start when the key path leads to a device that never ends', () => {
    const dir = dataDir();
    symlinkSync('/dev/zero', path.join(dir, 'api-key'));
    expect(keyFileError(dir).message).toMatch(/cannot be read \(not a regular file/);
  });

  it('stops the start when the key file is far larger than a key', () => {
    const dir = withKeyFile(`${'0123456789abcdef'.repeat(1024)}\n`);
    expect(keyFileError(dir).message).toMatch(/cannot be read \(larger than 4096 bytes/);
  });

  it('uses a stored key of 16 characters or more, trimmed', () => {
    const dir = withKeyFile('  0123456789abcdef \n');
    const c = loadConfig({ SOULSPOT_DATA_DIR: dir });
    expect(c.apiKey).toBe('0123456789abcdef');
    expect(c.apiKeyGenerated).toBe(false);
    expect(c.apiKeyFile).toBe(path.join(dir, 'api-key'));
  });

  it('writes a generated key with mode 0600 and leaves no temporary file', () => {
    const dir = path.join(dataDir(), 'not-yet-there');
    const c = loadConfig({ SOULSPOT_DATA_DIR: dir });
    expect(c.apiKeyGenerated).toBe(true);
    expect(c.apiKey.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dir, 'api-key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['api-key']);
  });

  it('says when the data dir is not a directory', () => {
    const parent = dataDir();
    // A file where the data dir should be: mkdir fails for root too.
    writeFileSync(path.join(parent, 'data'), 'not a directory');
    let error: unknown;
    try {
      loadConfig({ SOULSPOT_DATA_DIR: path.join(parent, 'data') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${path.join(parent, 'data')} is not a directory`);
  });
});

describe('SOULSPOT_API_KEY', () => {
  it.each([
    ['16 spaces', ' '.repeat(16)],
    ['a short key padded with spaces', '  short-key-1  '.padEnd(20, ' ')],
    ['a key with a line break', '0123456789abcdef\nxyz'],
  ])('refuses %s', (_name, value) => {
    expect(() => loadConfig({ SOULSPOT_DATA_DIR: dataDir(), SOULSPOT_API_KEY: value })).toThrow(
      /SOULSPOT_API_KEY/,
    );
  });

  it('never echoes credentials of a rejected URL', () => {
    let message = '';
    try {
      loadConfig({
        SOULSPOT_DATA_DIR: dataDir(),
        SOULSPOT_DATABASE_URL: 'mysql://admin:hunter2-secret@db.local/soulspot',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('SOULSPOT_DATABASE_URL');
    expect(message).not.toContain('hunter2-secret');
  });
});

/** The metrics key file is read by the API key file's rules (it is never generated). */
describe('the metrics key file', () => {
  const API = { SOULSPOT_API_KEY: 'api-key-0123456789abcdef' };
  const errorFor = (dir: string): ConfigError => {
    try {
      loadConfig({ ...API, SOULSPOT_DATA_DIR: dir });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw new Error(`expected a ConfigError, got ${String(error)}`);
    }
    throw new Error('expected the start to stop, but a configuration was returned');
  };
  const file = (dir: string) => path.join(dir, 'metrics-key');

  it('is optional: without the file only the API key opens /metrics', () => {
    expect(loadConfig({ ...API, SOULSPOT_DATA_DIR: dataDir() }).metricsKey).toBeNull();
  });

  it('uses a stored key, trimmed, also through a symlink to a regular file (a Docker secret)', () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, 'secret'), ' metrics-0123456789abcdef\n');
    symlinkSync(path.join(dir, 'secret'), file(dir));
    expect(loadConfig({ ...API, SOULSPOT_DATA_DIR: dir }).metricsKey).toBe(
      'metrics-0123456789abcdef',
    );
  });

  it('stops the start on a short key, naming the file as a metrics key and what to do', () => {
    const dir = dataDir();
    writeFileSync(file(dir), 'short\n');
    const message = errorFor(dir).message;
    expect(message).toContain(file(dir));
    expect(message).toMatch(/no usable metrics key \(at least 16 characters/);
    expect(message).toMatch(/fix or delete it, or set SOULSPOT_METRICS_KEY/);
    expect(message).not.toMatch(/API key/);
  });

  it('stops the start on a directory, a FIFO (without waiting) or an endless device', () => {
    const asDir = dataDir();
    mkdirSync(file(asDir));
    expect(errorFor(asDir).message).toMatch(/cannot be read \(EISDIR/);
    const asFifo = dataDir();
    execFileSync('mkfifo', [file(asFifo)]);
    expect(errorFor(asFifo).message).toMatch(/cannot be read \(not a regular file/);
    const asDevice = dataDir();
    symlinkSync('/dev/zero', file(asDevice));
    expect(errorFor(asDevice).message).toMatch(/cannot be read \(not a regular file/);
  });

  it('refuses a short SOULSPOT_METRICS_KEY by name', () => {
    expect(() =>
      loadConfig({ ...API, SOULSPOT_DATA_DIR: dataDir(), SOULSPOT_METRICS_KEY: 'short' }),
    ).toThrow(/SOULSPOT_METRICS_KEY: at least 16 characters/);
  });
});
