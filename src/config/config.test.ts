import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
