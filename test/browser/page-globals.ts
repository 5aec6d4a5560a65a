/**
 * The few browser globals the tests' page functions use, typed here because the project's
 * TypeScript config has no DOM library (it is a Node program). Inside `page.evaluate(() => …)`
 * write `const w = globalThis as unknown as PageGlobals;` (types are erased, the function runs
 * in the page).
 */
export interface PageElement {
  textContent: string | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}

export interface PageGlobals {
  document: PageElement & { cookie: string; body: PageElement; activeElement: PageElement | null };
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  location: { href: string };
  performance: { now(): number };
  requestAnimationFrame(fn: (t: number) => void): number;
  MutationObserver: new (fn: () => void) => {
    observe(target: PageElement, options: Record<string, boolean>): void;
    disconnect(): void;
  };
  [key: string]: unknown;
}
