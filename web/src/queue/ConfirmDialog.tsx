/**
 * An in-page confirm for destructive actions (window.confirm blocks the page, cannot be styled
 * or tested without dialog handlers, and some browsers suppress it). One at a time:
 * `askConfirm()` resolves true or false; `<ConfirmHost />` (mounted once by the page) shows it.
 * Accessible: an alertdialog, modal, labelled by its text; focus starts on the safe choice, Tab
 * stays inside, Escape or a click outside cancels, and focus goes back where it was.
 */
import { signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';

interface Pending {
  message: string;
  confirmLabel: string;
  resolve(ok: boolean): void;
}

const pending = signal<Pending | null>(null);

/** Asks; a question still open is answered "no" first (a newer one replaces it). */
export function askConfirm(message: string, confirmLabel: string): Promise<boolean> {
  pending.value?.resolve(false);
  return new Promise((resolve) => {
    pending.value = { message, confirmLabel, resolve };
  });
}

function answer(ok: boolean): void {
  const p = pending.value;
  pending.value = null;
  p?.resolve(ok);
}

export function ConfirmHost() {
  const p = pending.value;
  const dialog = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);

  // Layout effects, not effects: Preact runs an effect (and its cleanup) after the next paint,
  // so the dialog would be gone from the page a frame before focus came back, and shown a frame
  // before it took focus and caught keys; a layout effect runs in the same commit as the DOM change.
  useLayoutEffect(() => {
    if (!p) return;
    const before = document.activeElement as HTMLElement | null;
    cancel.current?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, [p]);

  // Keys are caught on the document, before any page handler, for as long as the question is
  // open: a click on the dialog's text moves focus off its buttons, and a key must still reach
  // neither the page's shortcuts (Delete, Escape, Alt+Arrow) nor leave the dialog by Tab.
  useLayoutEffect(() => {
    if (!p) return;
    const onKeyDown = (e: KeyboardEvent) => {
      e.stopPropagation();
      if (e.key === 'Escape') {
        e.preventDefault();
        answer(false);
        return;
      }
      const buttons = Array.from(dialog.current?.querySelectorAll('button') ?? []);
      const first = buttons[0];
      const last = buttons.at(-1);
      if (!first || !last) return;
      const inside = dialog.current?.contains(document.activeElement) ?? false;
      if (e.key !== 'Tab') {
        // Enter or Space on a button is the button's; anything else outside it does nothing.
        if (!inside || !(document.activeElement instanceof HTMLButtonElement)) e.preventDefault();
        return;
      }
      if (!inside) {
        e.preventDefault();
        first.focus();
      } else if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, [p]);

  // Answered "no" if the page goes away with the question open.
  useEffect(() => () => answer(false), []);

  if (!p) return null;

  return (
    <div class="modal-backdrop" onClick={() => answer(false)}>
      <div
        class="card modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-message"
        data-testid="confirm-dialog"
        ref={dialog}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
      >
        <p id="confirm-message" data-testid="confirm-message">
          {p.message}
        </p>
        <div class="toolbar">
          <button
            type="button"
            ref={cancel}
            data-testid="confirm-cancel"
            onClick={() => answer(false)}
          >
            Keep
          </button>
          <button
            type="button"
            class="danger"
            data-testid="confirm-ok"
            onClick={() => answer(true)}
          >
            {p.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
