import { ConfigError, loadConfig } from './config/config.js';
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
  console.log(
    config.apiKeyGenerated
      ? `A new API key was generated and stored in ${config.dataDir}/api-key: ${config.apiKey}`
      : process.env.SOULSPOT_API_KEY
        ? 'API key: from SOULSPOT_API_KEY'
        : `API key (from ${config.dataDir}/api-key): ${config.apiKey}`,
  );
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

void main();
