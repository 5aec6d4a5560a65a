import { ConfigError, loadConfig, type Config } from './config/config.js';
import { startSoulSpot } from './main.js';

/** `npm start`: run SoulSpot with the SOULSPOT_* settings until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const soulspot = await startSoulSpot(config);
  console.log(`SoulSpot is listening on ${soulspot.url}`);
  console.log(`Web UI: ${soulspot.url}/ (log in with the API key)`);
  console.log(apiKeyNotice(config));
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    soulspot.log.info({ signal }, 'shutting down');
    // Anything still running after 10 s is left to the lease expiry; exit anyway.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    soulspot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * The key is shown once, on the start that made it; later starts say where it is kept, so the key
 * does not end up in every captured stdout (journald, docker logs, CI output).
 */
function apiKeyNotice(config: Config): string {
  if (config.apiKeyFile === null) return 'API key: from SOULSPOT_API_KEY';
  if (config.apiKeyGenerated) {
    return `A new API key was generated and stored in ${config.apiKeyFile} (shown only this once): ${config.apiKey}`;
  }
  return `API key: stored in ${config.apiKeyFile} (not shown; read it from that file)`;
}

void main();
