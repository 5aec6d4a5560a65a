import { CliError, type ApiClient } from './client.js';

export interface ServerEvent {
  id: number | null;
  event: string;
  data: string;
}

/**
 * Parses server-sent events from chunks of text (id / event / data lines, a blank line ends an
 * event, `:` starts a comment). Pure: feed it what the stream gives.
 */
export function createSseParser(onEvent: (e: ServerEvent) => void): (chunk: string) => void {
  let buffer = '';
  let current: ServerEvent = { id: null, event: 'message', data: '' };
  let hasData = false;
  return (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (hasData) onEvent(current);
        current = { id: current.id, event: 'message', data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') {
        current.data = hasData ? `${current.data}\n${value}` : value;
        hasData = true;
      } else if (field === 'event') current.event = value;
      else if (field === 'id' && /^\d+$/.test(value)) current.id = Number(value);
    }
  };
}

export interface EventStream {
  /** Resolves once connected the first time (rejects when that fails: bad key, unreachable). */
  ready: Promise<void>;
  close(): void;
}

/**
 * Follows GET /api/events, reconnecting with Last-Event-ID after a drop (the server replays what
 * was missed, or sends `reset`). `onReconnect` runs after each reconnect so callers can reload.
 */
export function followEvents(
  client: ApiClient,
  handlers: { onEvent(e: ServerEvent): void; onReconnect?(): void; onError?(e: Error): void },
): EventStream {
  const controller = new AbortController();
  let lastId: number | null = null;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);
  const parse = createSseParser((e) => {
    if (e.id !== null) lastId = e.id;
    handlers.onEvent(e);
  });
  void (async () => {
    let first = true;
    while (!controller.signal.aborted) {
      try {
        const res = await client.stream(
          '/api/events',
          lastId === null ? {} : { 'last-event-id': String(lastId) },
          controller.signal,
        );
        if (first) resolveReady();
        else handlers.onReconnect?.();
        first = false;
        const decoder = new TextDecoder();
        const reader = res.body!.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parse(decoder.decode(value, { stream: true }));
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (first) {
          rejectReady(error as Error);
          return;
        }
        if (error instanceof CliError && error.kind === 'auth') {
          handlers.onError?.(error);
          return;
        }
      }
      if (controller.signal.aborted) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return { ready, close: () => controller.abort() };
}
