import { EventEmitter } from 'node:events';
import type { DownloadDto } from '../downloads/download.dto.js';

/** Every event a module may publish, with its payload. Subscribers get exactly these types. */
export interface EventMap {
  'download.updated': DownloadDto;
  'provider.health': { provider: string; state: 'up' | 'down' | 'unknown'; message?: string };
}

export type EventName = keyof EventMap;

export interface EventBus {
  emit<K extends EventName>(name: K, payload: EventMap[K]): void;
  on<K extends EventName>(name: K, listener: (payload: EventMap[K]) => void): () => void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  // SSE clients each subscribe; the default cap of 10 would only produce noise warnings.
  emitter.setMaxListeners(0);
  return {
    emit(name, payload) {
      emitter.emit(name, payload);
    },
    on(name, listener) {
      emitter.on(name, listener as (p: unknown) => void);
      return () => emitter.off(name, listener as (p: unknown) => void);
    },
  };
}
