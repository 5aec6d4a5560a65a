/**
 * The app shell: login gate, nav, the current page (each page is its own chunk, loaded when first
 * shown, so the shell stays small), toasts and the connection indicator.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { setUnauthorizedHandler } from './api';
import { connection } from './events';
import { navigate, onLinkClick, route, type PageName } from './router';
import { checkSession, logout, session, signedOut } from './session';
import { dismissToast, toasts } from './toasts';
import { LoginPage } from './pages/Login';

const PAGE_LOADERS: Record<Exclude<PageName, 'login'>, () => Promise<ComponentType>> = {
  queue: () => import('./pages/Queue').then((m) => m.QueuePage),
  albums: () => import('./pages/Albums').then((m) => m.AlbumsPage),
  history: () => import('./pages/History').then((m) => m.HistoryPage),
  blocklist: () => import('./pages/Blocklist').then((m) => m.BlocklistPage),
  profiles: () => import('./pages/Profiles').then((m) => m.ProfilesPage),
  settings: () => import('./pages/Settings').then((m) => m.SettingsPage),
  stats: () => import('./pages/Stats').then((m) => m.StatsPage),
  health: () => import('./pages/Health').then((m) => m.HealthPage),
  feeds: () => import('./pages/Feeds').then((m) => m.FeedsPage),
  sources: () => import('./pages/Sources').then((m) => m.SourcesPage),
};

const NAV: { page: Exclude<PageName, 'login'>; label: string }[] = [
  { page: 'queue', label: 'Queue' },
  { page: 'albums', label: 'Albums' },
  { page: 'history', label: 'History' },
  { page: 'blocklist', label: 'Blocklist' },
  { page: 'profiles', label: 'Quality profiles' },
  { page: 'settings', label: 'Settings' },
  { page: 'stats', label: 'Statistics' },
  { page: 'health', label: 'Health' },
  { page: 'feeds', label: 'Feeds' },
  { page: 'sources', label: 'Sources' },
];

let returnTo = '/queue';

const loaded = signal<Partial<Record<PageName, ComponentType>>>({});

const loading = new Map<PageName, Promise<ComponentType>>();

/** One import per page, started at most once (and early for the page the app opens on). */
function loadPage(page: Exclude<PageName, 'login'>): Promise<ComponentType> {
  let p = loading.get(page);
  if (!p) {
    p = PAGE_LOADERS[page]();
    loading.set(page, p);
    // A failed import (a deploy replaced the chunk) may be tried again on the next visit.
    p.catch(() => loading.delete(page));
  }
  return p;
}

// The first page's chunk loads while the session is checked, not after.
if (route.value.page !== 'login') void loadPage(route.value.page).catch(() => {});

function CurrentPage({ page }: { page: Exclude<PageName, 'login'> }) {
  const [failed, setFailed] = useState<string | null>(null);
  const Page = loaded.value[page];
  useEffect(() => {
    if (Page) return;
    setFailed(null);
    loadPage(page).then(
      (component) => (loaded.value = { ...loaded.value, [page]: component }),
      (error: unknown) => setFailed(String(error)),
    );
  }, [page, Page]);
  if (failed) return <p class="error">This page could not be loaded: {failed}</p>;
  if (!Page) return <p class="muted">Loading…</p>;
  return <Page />;
}

export function App() {
  useEffect(() => {
    setUnauthorizedHandler(() => {
      signedOut();
    });
    void checkSession();
  }, []);
  const state = session.value;
  const current = route.value.page;

  useEffect(() => {
    if (state === 'out' && current !== 'login') {
      // Back to the page asked for once logged in (an app path: the router only knows its own).
      returnTo = location.pathname + location.search;
      navigate('/login', { replace: true });
    }
    if (state === 'in' && current === 'login') {
      navigate(returnTo, { replace: true });
      returnTo = '/queue';
    }
  }, [state, current]);

  if (state === 'unknown') return <p class="muted splash">Loading…</p>;
  if (state === 'out' || current === 'login')
    return (
      <>
        <LoginPage />
        <Toasts />
      </>
    );
  return (
    <Layout current={current}>
      <CurrentPage page={current} />
    </Layout>
  );
}

function Layout({
  current,
  children,
}: {
  current: Exclude<PageName, 'login'>;
  children: preact.ComponentChildren;
}) {
  const [navOpen, setNavOpen] = useState(false);
  return (
    <div class="shell">
      <header class="topbar">
        <button
          type="button"
          class="nav-toggle"
          aria-expanded={navOpen}
          aria-controls="main-nav"
          onClick={() => setNavOpen(!navOpen)}
        >
          Menu
        </button>
        <span class="brand">SoulSpot</span>
        <ConnectionIndicator />
        <button type="button" class="link-button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav id="main-nav" class={navOpen ? 'nav open' : 'nav'} aria-label="Pages">
        <ul>
          {NAV.map((item) => (
            <li key={item.page}>
              <a
                href={`/${item.page}`}
                aria-current={item.page === current ? 'page' : undefined}
                onClick={(e) => {
                  setNavOpen(false);
                  onLinkClick(e);
                }}
              >
                {item.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/api/docs" target="_blank" rel="noopener">
              API docs
            </a>
          </li>
        </ul>
      </nav>
      <main class="content">{children}</main>
      <Toasts />
    </div>
  );
}

function ConnectionIndicator() {
  const state = connection.value;
  return (
    <span
      class={`connection ${state}`}
      data-testid="connection"
      data-state={state}
      role="status"
      aria-live="polite"
    >
      {state === 'live' ? 'Live' : 'Reconnecting…'}
    </span>
  );
}

function Toasts() {
  return (
    <div class="toasts" data-testid="toasts" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} data-testid="toast" role="status">
          <strong>{t.title}</strong>
          {t.message && <span>{t.message}</span>}
          <button
            type="button"
            class="toast-close"
            aria-label="Dismiss"
            onClick={() => dismissToast(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
