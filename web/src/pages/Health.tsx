/**
 * The Health page: GET /api/health every 12 s while the page is shown (and on provider events),
 * providers with their state and circuit, the checks with their badges, disk and transcode.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { subscribe } from '../events';
import type { Health } from '../types';
import { formatTime } from './shared/format';
import { Badge, ErrorLine, TableBox } from './shared/ui';
import './pages.css';

export const HEALTH_REFRESH_MS = 12_000;
/** The checks about storage, shown again under "Disk" (names from src/health/health-checks.ts). */
const DISK_CHECKS = ['library-free-space', 'library-writable', 'slskd-downloads-folder'];

export function HealthPage() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.get<Health>('/api/health').then(
        (h) => {
          if (!live) return;
          setHealth(h);
          setError(null);
          setLoadedAt(new Date().toISOString());
        },
        (e: unknown) => live && setError(errorText(e)),
      );
    void load();
    const timer = setInterval(() => void load(), HEALTH_REFRESH_MS);
    const off = [
      subscribe('provider.health', () => void load()),
      subscribe('provider.circuit', () => void load()),
      subscribe('disk.low', () => void load()),
    ];
    return () => {
      live = false;
      clearInterval(timer);
      off.forEach((f) => f());
    };
  }, []);

  const disk = health?.checks.filter((c) => DISK_CHECKS.includes(c.name));
  return (
    <section class="page" data-testid="page-health">
      <div class="page-head">
        <h1>Health</h1>
        {health && <Badge value={health.status === 'ok' ? 'ok' : 'warning'} />}
        <span class="muted small" data-testid="health-updated">
          {loadedAt ? `Updated ${formatTime(loadedAt)}` : ''}
        </span>
      </div>
      <ErrorLine error={error} testid="health-error" />
      {!health && !error && <p class="muted">Loading…</p>}
      {health && (
        <>
          <div class="section">
            <h2>Providers</h2>
            <TableBox testid="health-providers">
              <thead>
                <tr>
                  <th>Provider</th>
                  <th>State</th>
                  <th>Circuit</th>
                  <th>Version</th>
                  <th>Checked</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(health.providers).map(([name, p]) => (
                  <tr key={name} data-provider={name}>
                    <td>{name}</td>
                    <td>
                      <Badge value={p.state} />
                    </td>
                    <td>{p.circuit ? <Badge value={p.circuit} /> : '—'}</td>
                    <td>{p.version ?? '—'}</td>
                    <td>{formatTime(p.checkedAt)}</td>
                    <td class="wrap">{p.message ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </TableBox>
          </div>
          <div class="section">
            <h2>Checks</h2>
            <ul class="check-list" data-testid="health-checks">
              {health.checks.map((c) => (
                <li key={c.name} data-check={c.name} data-status={c.status}>
                  <Badge value={c.status} />
                  <span class="name">{c.name}</span>
                  <span>{c.message}</span>
                </li>
              ))}
              {health.checks.length === 0 && <li class="muted">No checks configured.</li>}
            </ul>
          </div>
          <div class="section split">
            <div data-testid="health-disk">
              <h2>Disk</h2>
              <ul class="check-list">
                {disk?.map((c) => (
                  <li key={c.name}>
                    <Badge value={c.status} />
                    <span>{c.message}</span>
                  </li>
                ))}
                {disk?.length === 0 && <li class="muted">No disk checks reported.</li>}
              </ul>
            </div>
            <div data-testid="health-transcode">
              <h2>Transcode check</h2>
              <ul class="check-list">
                <li>
                  <Badge value={health.transcode.available ? 'ok' : 'warning'} />
                  <span>
                    {health.transcode.available ? 'Available: ' : 'Unavailable: '}
                    {health.transcode.message}
                  </span>
                </li>
              </ul>
            </div>
          </div>
          <div class="section">
            <h2>Queue</h2>
            <TableBox testid="health-queue">
              <tbody>
                {Object.entries(health.queue).map(([status, n]) => (
                  <tr key={status}>
                    <td>{status}</td>
                    <td class="num">{n}</td>
                  </tr>
                ))}
              </tbody>
            </TableBox>
          </div>
        </>
      )}
    </section>
  );
}
