import { Fragment } from 'preact';

/** Keys are ignored while the user types in a field (Escape still leaves it). */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

const KEYS: [string, string][] = [
  ['/', 'Search'],
  ['j / k', 'Next / previous row'],
  ['x', 'Select or deselect the row'],
  ['Alt+↑ / Alt+↓', 'Move the row (or the selection it is in) up / down'],
  ['Enter', 'Open the row'],
  ['Shift-click', 'Select a range'],
  ['Ctrl/Cmd-click', 'Add or remove one row'],
  ['a', 'Add downloads'],
  ['Del', 'Cancel the selection (asks first)'],
  ['Esc', 'Close, or clear the selection'],
  ['?', 'This list'],
];

export function Shortcuts({ onClose }: { onClose(): void }) {
  return (
    <div class="modal-backdrop" onClick={onClose}>
      <div
        class="card modal"
        role="dialog"
        aria-label="Keyboard shortcuts"
        data-testid="shortcuts"
        onClick={(e) => e.stopPropagation()}
      >
        <h2>Keyboard shortcuts</h2>
        <dl class="shortcuts">
          {KEYS.map(([k, v]) => (
            <Fragment key={k}>
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{v}</dd>
            </Fragment>
          ))}
        </dl>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
