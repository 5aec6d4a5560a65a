import type pg from 'pg';

export interface PgListenerOptions {
  /** Makes a new, unconnected client (DatabaseHandle.newConnection). */
  connect: () => pg.Client;
  channel: string;
  /** A notification arrived on the channel. */
  onNotify: () => void;
  /**
   * The LISTEN is in place (first time or after a reconnect). Whatever was committed while no
   * connection listened sent its notification to nobody, so the caller reads the log now.
   */
  onListening: () => void;
  log?: { warn(obj: object, msg?: string): void };
  /** First delay before reconnecting; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * One dedicated PostgreSQL session that LISTENs on a channel and comes back after a drop
 * (PostgreSQL restart, admin kill, network cut), with a growing delay between tries.
 */
export function createPgListener(options: PgListenerOptions) {
  const firstDelay = options.retryMs ?? 250;
  const maxDelay = options.maxRetryMs ?? 10_000;
  let client: pg.Client | null = null;
  let stopped = true;
  let delay = firstDelay;
  let retry: NodeJS.Timeout | null = null;
  let connections = 0;

  const scheduleReconnect = (): void => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void open();
    }, delay);
    delay = Math.min(maxDelay, delay * 2);
  };

  const drop = (c: pg.Client, error?: unknown): void => {
    if (client !== c) return;
    client = null;
    if (!stopped) options.log?.warn({ err: error }, 'event notifications lost; reconnecting');
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
    scheduleReconnect();
  };

  const open = async (): Promise<void> => {
    if (stopped) return;
    const c = options.connect();
    // Registered before connect: an error event without a listener would crash the process.
    c.on('error', (error) => drop(c, error));
    c.on('end', () => drop(c));
    c.on('notification', (n) => {
      if (n.channel === options.channel) options.onNotify();
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN "${options.channel.replaceAll('"', '""')}"`);
    } catch (error) {
      drop(c, error);
      return;
    }
    if (stopped || client !== c) return;
    delay = firstDelay;
    connections++;
    options.onListening();
  };

  return {
    /** Starts listening; resolves after the first attempt (a failed one keeps retrying). */
    async start(): Promise<void> {
      stopped = false;
      await open();
    },
    /** How many times a LISTEN was set up (tests follow reconnects with it). */
    get connections(): number {
      return connections;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}

export type PgListener = ReturnType<typeof createPgListener>;
