/** Toasts: the server's `notification` events, and the app's own messages (errors, results). */
import { signal } from '@preact/signals';
import { subscribe } from './events';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'notification';
  title: string;
  message: string;
}

export const toasts = signal<Toast[]>([]);
let nextId = 1;
const MAX_TOASTS = 5;
const SHOW_MS = 6000;

export function showToast(kind: Toast['kind'], title: string, message = ''): void {
  const toast: Toast = { id: nextId++, kind, title, message };
  toasts.value = [...toasts.value, toast].slice(-MAX_TOASTS);
  setTimeout(() => dismissToast(toast.id), kind === 'error' ? SHOW_MS * 2 : SHOW_MS);
}

export function dismissToast(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

subscribe('notification', (n) => {
  const message = n.count > 1 ? `${n.message} (${n.count})` : n.message;
  showToast('notification', n.title, message);
});
