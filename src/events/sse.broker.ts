import type { EventBus, EventMap, EventName } from './event-bus.js';

export interface SseMessage {
  id: number;
  event: EventName;
  data: string;
}

export interface SseClient {
  send(text: string): void;
}

/**
 * One broker for all SSE clients: numbers every event, keeps the last `replaySize` for clients that
 * reconnect with Last-Event-ID, and fans out to live clients.
 */
export function createSseBroker(bus: EventBus, options: { replaySize?: number } = {}) {
  const replaySize = options.replaySize ?? 1000;
  const recent: SseMessage[] = [];
  const clients = new Set<SseClient>();
  let nextId = 1;

  const publish = <K extends EventName>(event: K, payload: EventMap[K]): void => {
    const message: SseMessage = { id: nextId++, event, data: JSON.stringify(payload) };
    recent.push(message);
    if (recent.length > replaySize) recent.shift();
    const text = format(message);
    for (const client of clients) client.send(text);
  };

  const unsubscribe = [
    bus.on('download.updated', (p) => publish('download.updated', p)),
    bus.on('provider.health', (p) => publish('provider.health', p)),
    bus.on('provider.circuit', (p) => publish('provider.circuit', p)),
  ];

  return {
    /** Adds a client; replays what it missed when it gives the last id it saw. */
    attach(client: SseClient, lastEventId?: number): () => void {
      if (lastEventId !== undefined) {
        for (const m of recent) if (m.id > lastEventId) client.send(format(m));
      }
      clients.add(client);
      return () => clients.delete(client);
    },
    heartbeat(): void {
      for (const client of clients) client.send(`: heartbeat ${Date.now()}\n\n`);
    },
    get clientCount(): number {
      return clients.size;
    },
    close(): void {
      for (const off of unsubscribe) off();
      clients.clear();
    },
  };
}

export type SseBroker = ReturnType<typeof createSseBroker>;

function format(m: SseMessage): string {
  return `id: ${m.id}\nevent: ${m.event}\ndata: ${m.data}\n\n`;
}
