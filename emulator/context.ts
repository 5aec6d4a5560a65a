// The shared state every emulator module works on. Built once by createEmulator(); plain data, no logic.
import type { Features } from './format.js';
import type { Peers } from './peers.js';
import type { SearchEngine } from './searches.js';
import type { Store } from './state.js';
import type { TransferEngine } from './transfers.js';
import type {
  CancelRecord,
  EmulatorOptions,
  EnqueueRecord,
  FileLanding,
  SearchLogRecord,
  TransferPeaks,
} from './types.js';

export type ResolvedOptions = Required<
  Pick<
    EmulatorOptions,
    | 'host'
    | 'version'
    | 'downloadsDir'
    | 'incompleteDir'
    | 'tickMs'
    | 'maxConcurrentSearches'
    | 'username'
    | 'password'
    | 'enqueueHardLimitMs'
    | 'inactivityTimeoutMs'
    | 'searchPostMs'
  >
> &
  Pick<EmulatorOptions, 'apiKey' | 'searchTimeoutCapMs'> & {
    retry: { attempts: number; delayMs: number; maxDelayMs: number };
  };

export interface Context {
  options: ResolvedOptions;
  features: Features;
  peers: Peers;
  store: Store;
  searches: SearchEngine;
  transfers: TransferEngine;
  loggedIn: boolean;
  /** How finished files land; changed at run time through setLanding / POST /emulator/landing. */
  landing: FileLanding;
  /** JWT signing key; random per start like slskd's, so a restart invalidates tokens. */
  jwtKey: Buffer;
  enqueues: EnqueueRecord[];
  cancels: CancelRecord[];
  searchLog: SearchLogRecord[];
  peaks: TransferPeaks;
  requestCounts: Record<string, number>;
  /** Requests in flight per slskd concurrency gate (POST /searches: 1; enqueue endpoints: 2). */
  gates: { search: number; enqueue: number };
}
