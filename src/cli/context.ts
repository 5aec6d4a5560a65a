import type { ApiClient } from './client.js';
import type { ExitKind } from './exit-codes.js';
import type { Reporter } from './report.js';

/** What every command gets: where to write, how, and the SoulSpot to talk to. */
export interface Context {
  client: ApiClient;
  /** stdout: results, lines, bars, or the one JSON document of --json. */
  out: { write(text: string): void };
  /** stderr: notes that must not mix with --json. */
  err: { write(text: string): void };
  json: boolean;
  colour: boolean;
  /** A reporter for following commands: bars on a terminal, plain lines elsewhere, none for --json. */
  reporter(): Reporter;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/** What a command hands back: the exit kind and, for --json, its document. */
export interface CommandResult {
  exit: ExitKind;
  json: unknown;
}
