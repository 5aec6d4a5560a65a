// `npm run emulator -- --scenario path --port 5030 --api-key KEY`: a standalone fake slskd for manual
// testing and the demo. Flags override the scenario file; the scenario supplies users and behaviours.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEmulator } from './emulator.js';
import { loadScenario } from './scenario.js';

const HELP = `slskd emulator (speaks slskd 0.26's HTTP API with simulated peers)

Options:
  --scenario <file>          YAML/JSON scenario (default: emulator/scenarios/demo.yaml)
  --port <n>                 port to listen on (default: scenario, else 5030; 0 = random)
  --host <addr>              address to bind (default 127.0.0.1)
  --api-key <key>            require X-API-Key (default: scenario, else no auth)
  --slskd-version <v>        version to emulate, e.g. 0.25.1 for legacy mode (default 0.26.0)
  --downloads <dir>          downloads directory (default: scenario, else a temp dir)
  --incomplete <dir>         incomplete directory (default: scenario, else a temp dir)
  --tick-ms <n>              progress update period in ms (default 250)
  --search-timeout-cap <ms>  cap on the search inactivity timeout
  -h, --help`;

const int = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number.parseInt(value, 10);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'slskd-version': { type: 'string' },
      downloads: { type: 'string' },
      incomplete: { type: 'string' },
      'tick-ms': { type: 'string' },
      'search-timeout-cap': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const scenarioFile = values.scenario ?? path.join(here, 'scenarios', 'demo.yaml');
  const scenario = await loadScenario(scenarioFile);
  let tempDir: string | undefined;
  const temp = (): string => (tempDir ??= mkdtempSync(path.join(os.tmpdir(), 'slskd-emulator-')));
  const downloadsDir = values.downloads ?? scenario.downloadsDir ?? path.join(temp(), 'downloads');
  const incompleteDir =
    values.incomplete ?? scenario.incompleteDir ?? path.join(temp(), 'incomplete');
  const emulator = await createEmulator({
    ...scenario,
    host: values.host ?? scenario.host,
    port: int(values.port) ?? scenario.port ?? 5030,
    apiKey: values['api-key'] ?? scenario.apiKey,
    version: values['slskd-version'] ?? scenario.version,
    downloadsDir,
    incompleteDir,
    tickMs: int(values['tick-ms']) ?? scenario.tickMs,
    searchTimeoutCapMs: int(values['search-timeout-cap']) ?? scenario.searchTimeoutCapMs,
  });
  console.log(`slskd emulator listening on ${emulator.url} (API at ${emulator.url}/api/v0)`);
  console.log(`scenario:   ${path.resolve(scenarioFile)}`);
  console.log(`downloads:  ${downloadsDir}`);
  console.log(`incomplete: ${incompleteDir}`);
  console.log(`control:    ${emulator.url}/emulator/state`);
  const shutdown = (): void => {
    void emulator.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
