import { API_KEY } from './stack.js';

/** One server-sent event as an EventSource would dispatch it. */
export interface SseEvent {
  id: number | null;
  event: string;
  data: string;
}

export interface SseReader {
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** The last id received (what an EventSource would send as Last-Event-ID). */
  readonly lastId: number | null;
  /** Resolves once the stream ended (server closed it). */
  readonly ended: Promise<void>;
  /** Waits until `predicate` holds for the events received, with a generous deadline. */
  waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/**
 * An EventSource-like reader over fetch (EventSource cannot send X-Api-Key): real HTTP, parsed by
 * the SSE rules this server uses (id / event / data lines, a blank line ends an event, `:` starts
 * a comment).
 */
export async function openSse(
  baseUrl: string,
  options: { lastEventId?: number; apiKey?: string } = {},
): Promise<SseReader> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/events`, {
    headers: {
      'x-api-key': options.apiKey ?? API_KEY,
      ...(options.lastEventId !== undefined
        ? { 'last-event-id': String(options.lastEventId) }
        : {}),
    },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
  const events: SseEvent[] = [];
  let lastId: number | null = null;
  const ended = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let current: SseEvent = { id: null, event: 'message', data: '' };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (current.data !== '' || current.id !== null) events.push(current);
            current = { id: null, event: 'message', data: '' };
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') current.id = lastId = Number(value);
            else if (field === 'event') current.event = value;
            else if (field === 'data') current.data += value;
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    get lastId() {
      return lastId;
    },
    ended,
    waitFor: (predicate, timeoutMs = 30_000) =>
      until(
        () => predicate(events),
        timeoutMs,
        () => `SSE events so far: ${events.map((e) => `${e.id} ${e.event}`).join(', ')}`,
      ).then(() => events),
    close: () => controller.abort(),
  };
}

/** Polls `condition` until it holds; fails with `describe()` after the deadline. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms. ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The download events of a stream that concern one download id. */
export const aboutDownload = (events: SseEvent[], id: string): SseEvent[] =>
  events.filter(
    (e) => e.event.startsWith('download.') && (JSON.parse(e.data) as { id: string }).id === id,
  );
