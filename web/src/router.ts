/**
 * A small history-API router: the current path as a signal, `navigate()` for links and code,
 * and the browser's back/forward updating the signal. Paths are the app's own constants; a
 * remote string never becomes a path except a download's id, which is a UUID from the API.
 */
import { signal } from '@preact/signals';

export const PAGES = [
  'queue',
  'albums',
  'history',
  'blocklist',
  'profiles',
  'settings',
  'stats',
  'health',
  'feeds',
  'sources',
] as const;
export type PageName = (typeof PAGES)[number] | 'login';

export interface Route {
  page: PageName;
  /** Path segments after the page's own (`/queue/<id>` → ['<id>']). */
  rest: string[];
  query: URLSearchParams;
}

/** A malformed escape (`%E0%A4%A`) is kept as written: decodeURIComponent would throw. */
function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  const first = parts[0] ?? 'queue';
  const page = (PAGES as readonly string[]).includes(first) || first === 'login' ? first : 'queue';
  return {
    page: page as PageName,
    rest: parts.slice(1).map(decodeSegment),
    query: new URLSearchParams(search),
  };
}

export const route = signal<Route>(
  typeof location === 'undefined'
    ? parseRoute('/')
    : parseRoute(location.pathname, location.search),
);

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = new URL(path, location.origin);
  if (url.pathname + url.search === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', url.pathname + url.search);
  else history.pushState(null, '', url.pathname + url.search);
  route.value = parseRoute(url.pathname, url.search);
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    route.value = parseRoute(location.pathname, location.search);
  });
}

/** A click on an in-app link: navigate without a reload unless the user asked for a new tab. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return;
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a?.href) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
