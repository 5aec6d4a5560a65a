import type { Config } from '../config/config.js';
import { CliError, createClient, type ApiClient } from './client.js';

export interface ConnectOptions {
  url?: string;
  apiKey?: string;
  /** true: --standalone; false: --no-standalone; undefined: standalone when no server answers. */
  standalone?: boolean;
  env: Record<string, string | undefined>;
  /** Told what the CLI does (a line on stderr: stdout may be --json). */
  say(line: string): void;
}

export interface Connection {
  client: ApiClient;
  mode: 'server' | 'standalone';
  close(): Promise<void>;
}

/**
 * Which SoulSpot the CLI talks to: the one at --url / SOULSPOT_URL; else the one the local
 * configuration (SOULSPOT_* variables, SOULSPOT_CONFIG_FILE) describes, when it answers; else one
 * started in this process (standalone), stopped when the command ends. With SQLite only one
 * process may use a data directory, which is why a running server is looked for first.
 */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const url = opts.url ?? nonEmpty(opts.env.SOULSPOT_URL);
  const apiKey = opts.apiKey ?? nonEmpty(opts.env.SOULSPOT_API_KEY);
  if (url && opts.standalone !== true) {
    if (!/^https?:\/\/[^/]/i.test(url))
      throw new CliError('usage', `--url must be an http:// or https:// address, not "${url}"`);
    return { client: createClient({ url, apiKey }), mode: 'server', close: async () => undefined };
  }
  const config = await readConfig(opts.env);
  if (opts.standalone !== true) {
    const local = `http://${connectHost(config.host)}:${config.port}`;
    if (await answersLikeSoulSpot(local)) {
      return {
        client: createClient({ url: local, apiKey: apiKey ?? config.apiKey }),
        mode: 'server',
        close: async () => undefined,
      };
    }
    if (opts.standalone === false)
      throw new CliError(
        'unreachable',
        `No SoulSpot answers at ${local} and --no-standalone forbids starting one: give --url or SOULSPOT_URL`,
      );
  }
  return startStandalone(opts, apiKey);
}

async function startStandalone(
  opts: ConnectOptions,
  apiKey: string | undefined,
): Promise<Connection> {
  // Its own loopback port, whatever the configuration says: nothing outside needs to reach it.
  const config = await readConfig({ ...opts.env, SOULSPOT_HOST: '127.0.0.1', SOULSPOT_PORT: '0' });
  opts.say(
    `Starting SoulSpot in this process (slskd at ${redact(config.slskdUrl)}, library ${config.libraryDir})`,
  );
  // Loaded here, not at the top: commands against a server never load the whole application.
  const { startSoulSpot } = await import('../main.js');
  const { createLogger } = await import('../log/logger.js');
  const logger = createLogger({
    // Errors only unless asked for more; on stderr, so --json keeps stdout to itself.
    level: nonEmpty(opts.env.SOULSPOT_LOG_LEVEL) ? config.logLevel : 'error',
    secrets: [config.apiKey, config.slskdApiKey],
    destination: process.stderr,
  });
  let soulspot;
  try {
    soulspot = await startSoulSpot(config, { logger });
  } catch (error) {
    throw new CliError('unreachable', `SoulSpot could not start: ${(error as Error).message}`);
  }
  const started = soulspot;
  const client = createClient({ url: started.url, apiKey: apiKey ?? config.apiKey });
  // Whatever the check ends with (a problem, or an error of its own), the SoulSpot started here
  // is stopped before the CLI gives up: nothing is left running behind a failed command.
  const problem = await providersProblem(client, config.slskdUrl).catch(async (error: unknown) => {
    await started.stop();
    throw error;
  });
  if (problem) {
    await started.stop();
    throw new CliError('unreachable', problem);
  }
  return { client, mode: 'standalone', close: () => started.stop() };
}

/**
 * A standalone SoulSpot whose slskd is down would queue the tracks and wait for it for ever: say
 * so instead. The first provider check runs at start; wait a little for its verdict.
 */
async function providersProblem(client: ApiClient, slskdUrl: string): Promise<string | null> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const health = await client.request<{
      providers: Record<string, { state: string; message?: string }>;
    }>('GET', '/api/health');
    const states = Object.entries(health.providers);
    const down = states.find(([, p]) => p.state === 'down');
    if (down)
      return `SoulSpot started, but ${down[0]} is not usable: ${down[1].message ?? 'down'} (${redact(slskdUrl)}; set SOULSPOT_SLSKD_URL and SOULSPOT_SLSKD_API_KEY)`;
    if (states.every(([, p]) => p.state === 'up') || Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Loaded only when needed: a command given --url never reads (or compiles) the configuration. */
async function readConfig(env: Record<string, string | undefined>): Promise<Config> {
  const { ConfigError, loadConfig } = await import('../config/config.js');
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError('usage', error.message);
    throw error;
  }
}

/** A wildcard listen address is reached on loopback. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function answersLikeSoulSpot(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(1500) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: unknown; providers?: unknown };
    return typeof body.status === 'string' && typeof body.providers === 'object';
  } catch {
    return false;
  }
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.trim();

const redact = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
