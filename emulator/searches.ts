// Search simulation with slskd's observable timing: peers answer after their latency, the timeout is
// an INACTIVITY timeout, at most N searches run at once, and responses become visible only when the
// search has ended — with the "Completed" state written a few ms before endedAt and the responses.
import type { Context } from './context.js';
import { ApiError, newGuid, now } from './format.js';
import { parseQuery } from './peers.js';
import type { SearchRecord, SearchResponse } from './state.js';

/** The window between the Completed state and endedAt + responses (slskd-api.md §4 quirk 2). */
const COMPLETION_LAG_MS = 40;

/** Soulseek.NET's defaults, which slskd applies for absent request fields. */
export interface SearchOptions {
  searchTimeout: number;
  responseLimit: number;
  fileLimit: number;
  filterResponses: boolean;
  minimumResponseFileCount: number;
  maximumPeerQueueLength: number;
  minimumPeerUploadSpeed: number;
}

export const SEARCH_DEFAULTS: SearchOptions = {
  searchTimeout: 15_000,
  responseLimit: 250,
  fileLimit: 25_000,
  filterResponses: true,
  minimumResponseFileCount: 1,
  maximumPeerQueueLength: 2_147_483_647,
  minimumPeerUploadSpeed: 0,
};

interface Running {
  record: SearchRecord;
  query: { terms: string[]; exclusions: string[] };
  options: SearchOptions;
  collected: SearchResponse[];
  timers: Set<NodeJS.Timeout>;
  inactivity?: NodeJS.Timeout;
  finished: boolean;
}

export class SearchEngine {
  private readonly runs = new Map<string, Running>();
  private readonly waiting: Running[] = [];
  private inProgress = 0;
  private nextToken = 1000 + Math.floor(Math.random() * 100_000);

  constructor(private readonly ctx: Context) {}

  /** Searches not finished: running or queued behind the concurrency limit (slskd's own view). */
  get unfinished(): number {
    return [...this.runs.values()].filter((r) => !r.finished).length;
  }

  /** Starts a search; throws ApiError for the failures slskd reports on POST /searches. */
  start(id: string | undefined, searchText: string, options: SearchOptions): SearchRecord {
    const store = this.ctx.store.searches;
    const searchId = id ?? newGuid();
    if (store.has(searchId)) {
      // slskd's insert hits the primary key; EF's message comes back as a 500.
      throw new ApiError(
        500,
        'An error occurred while saving the entity changes. See the inner exception for details.',
      );
    }
    const record: SearchRecord = {
      id: searchId,
      searchText,
      token: this.nextToken++,
      state: 'Requested',
      startedAt: now(),
      responseCount: 0,
      fileCount: 0,
      lockedFileCount: 0,
      responses: [],
    };
    store.set(searchId, record);
    this.ctx.searchLog.push({ id: searchId, searchText, at: Date.now() });
    const query = parseQuery(searchText);
    // A POST that fails after validation still leaves an errored record behind (§4 quirk 5).
    const fail = (status: number, message: string): never => {
      record.state = 'Completed, Errored';
      record.endedAt = record.startedAt;
      throw new ApiError(status, message);
    };
    if (query.terms.length === 0) {
      fail(400, 'Search query must contain at least one non-exclusion term');
    }
    if (!this.ctx.loggedIn) {
      fail(
        409,
        'The server connection must be connected and logged in to perform a search (currently: Disconnected)',
      );
    }
    const run: Running = {
      record,
      query,
      options,
      collected: [],
      timers: new Set(),
      finished: false,
    };
    this.runs.set(searchId, run);
    if (this.inProgress < this.ctx.options.maxConcurrentSearches) this.begin(run);
    else {
      record.state = 'Queued';
      this.waiting.push(run);
    }
    return record;
  }

  private timeoutMs(run: Running): number {
    const cap = this.ctx.options.searchTimeoutCapMs;
    return cap === undefined ? run.options.searchTimeout : Math.min(cap, run.options.searchTimeout);
  }

  private begin(run: Running): void {
    this.inProgress++;
    run.record.state = 'InProgress';
    this.resetInactivity(run);
    for (const peer of this.ctx.peers.all()) {
      const latency = this.ctx.peers.behaviour(peer.username).latencyMs;
      const timer = setTimeout(() => {
        run.timers.delete(timer);
        void this.ctx.peers
          .respond(peer, run.query, run.record.token)
          .then((response) => response && this.accept(run, response))
          .catch((error: unknown) => console.error('emulator: search response failed', error));
      }, latency);
      run.timers.add(timer);
    }
  }

  private resetInactivity(run: Running): void {
    if (run.inactivity) clearTimeout(run.inactivity);
    run.inactivity = setTimeout(() => this.complete(run, 'TimedOut'), this.timeoutMs(run));
  }

  /** Soulseek.NET's response filter; a filtered response neither counts nor resets the timeout. */
  private accept(run: Running, response: SearchResponse): void {
    if (run.finished) return;
    const o = run.options;
    if (
      o.filterResponses &&
      (response.fileCount + response.lockedFileCount < o.minimumResponseFileCount ||
        response.queueLength >= o.maximumPeerQueueLength ||
        response.uploadSpeed < o.minimumPeerUploadSpeed)
    ) {
      return;
    }
    run.collected.push(response);
    const r = run.record;
    r.responseCount += 1;
    r.fileCount += response.fileCount;
    r.lockedFileCount += response.lockedFileCount;
    this.resetInactivity(run);
    if (r.responseCount >= o.responseLimit) this.complete(run, 'ResponseLimitReached');
    else if (r.fileCount >= o.fileLimit) this.complete(run, 'FileLimitReached');
  }

  private complete(run: Running, reason: string): void {
    if (run.finished) return;
    this.halt(run);
    run.record.state = `Completed, ${reason}`;
    const logged = this.ctx.searchLog.find((s) => s.id === run.record.id);
    if (logged) logged.completedAt = Date.now();
    // slskd saves endedAt and the responses in a second write, a moment after the state.
    const timer = setTimeout(() => {
      run.timers.delete(timer);
      run.record.endedAt = now();
      run.record.responses = run.collected;
      this.runs.delete(run.record.id);
    }, COMPLETION_LAG_MS);
    run.timers.add(timer);
  }

  /** Stops the clock and response delivery of a search, and hands its slot to a waiting one. */
  private halt(run: Running): void {
    run.finished = true;
    if (run.inactivity) clearTimeout(run.inactivity);
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    const waitingAt = this.waiting.indexOf(run);
    if (waitingAt >= 0) this.waiting.splice(waitingAt, 1);
    else {
      this.inProgress--;
      const next = this.waiting.shift();
      if (next) this.begin(next);
    }
  }

  /** PUT /searches/{id}: cancels if running; the responses received so far are kept. */
  cancel(id: string): void {
    const run = this.runs.get(id);
    if (run && !run.finished) this.complete(run, 'Cancelled');
  }

  /**
   * restart(): unfinished searches are marked complete and their responses are lost (§4 quirk 4).
   * slskd leaves no trace of why; "Completed, Cancelled" is the emulator's choice.
   */
  shutdown(): void {
    for (const run of this.runs.values()) {
      run.finished = true;
      if (run.inactivity) clearTimeout(run.inactivity);
      for (const t of run.timers) clearTimeout(t);
      if (!run.record.state.startsWith('Completed')) run.record.state = 'Completed, Cancelled';
      run.record.endedAt ??= now();
      run.record.responses = [];
    }
    this.runs.clear();
    this.waiting.length = 0;
    this.inProgress = 0;
  }
}
