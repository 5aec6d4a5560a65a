/**
 * The Statistics page: GET /api/stats for a period, totals, charts (uPlot, loaded on first use
 * from ./stats/charts so it stays out of the shell) and tables of formats, failure reasons, top
 * artists and top peers.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { STATS_PERIODS, type Stats, type StatsPeriod } from '../types';
import { formatBytes, formatRate, formatSpeed, formatTime } from './shared/format';
import { ErrorLine, TableBox } from './shared/ui';
import { GroupTable } from './shared/GroupTable';
import {
  bytesPerDay,
  downloadsPerDay,
  failureRatePerDay,
  hasPoints,
  reasonShares,
  speedSeries,
  type Series,
} from './stats/stats-series';
import type { Chart } from './stats/charts';
import './pages.css';

interface ChartModule {
  Chart: typeof Chart;
}
let chartModule: Promise<ChartModule> | null = null;
const loadCharts = () => (chartModule ??= import('./stats/charts'));

const PERIOD_LABELS: Record<StatsPeriod, string> = {
  day: '24 hours',
  week: '7 days',
  month: '30 days',
  all: 'All time',
};

export function StatsPage() {
  const [period, setPeriod] = useState<StatsPeriod>('week');
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [charts, setCharts] = useState<ChartModule | null>(null);
  const [chartError, setChartError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    api.get<Stats>('/api/stats', { period, top: 10 }).then(
      (s) => live && setStats(s),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [period]);

  useEffect(() => {
    loadCharts().then(setCharts, (e: unknown) => setChartError(errorText(e)));
  }, []);

  return (
    <section class="page" data-testid="page-stats">
      <div class="page-head">
        <h1>Statistics</h1>
        <div class="segmented" role="group" aria-label="Period" data-testid="stats-period">
          {STATS_PERIODS.map((p) => (
            <button
              key={p}
              type="button"
              aria-pressed={p === period}
              data-period={p}
              onClick={() => setPeriod(p)}
            >
              {PERIOD_LABELS[p]}
            </button>
          ))}
        </div>
      </div>
      <ErrorLine error={error} testid="stats-error" />
      {!stats && !error && <p class="muted">Loading…</p>}
      {stats && <StatsBody stats={stats} charts={charts} chartError={chartError} />}
    </section>
  );
}

function StatsBody({
  stats,
  charts,
  chartError,
}: {
  stats: Stats;
  charts: ChartModule | null;
  chartError: string | null;
}) {
  const t = stats.totals;
  const series = useMemo(
    () => ({
      downloads: downloadsPerDay(stats.history),
      bytes: bytesPerDay(stats.history),
      failures: failureRatePerDay(stats.history),
      speed: speedSeries(stats.speedHistory),
    }),
    [stats],
  );
  const chart = (title: string, s: Series, testid: string, kind: 'lines' | 'bars', utc = true) => {
    if (!hasPoints(s))
      return (
        <figure class="chart" data-testid={testid}>
          <h3>{title}</h3>
          <p class="muted small">Nothing in this period.</p>
        </figure>
      );
    if (!charts)
      return (
        <figure class="chart" data-testid={testid}>
          <h3>{title}</h3>
          <p class="muted small">{chartError ? `Charts unavailable: ${chartError}` : 'Loading…'}</p>
        </figure>
      );
    return <charts.Chart title={title} series={s} kind={kind} utcDays={utc} testid={testid} />;
  };
  return (
    <>
      <p class="muted small">
        {stats.period.from
          ? `${formatTime(stats.period.from)} – ${formatTime(stats.period.to)} (days in UTC)`
          : 'Nothing finished yet.'}
      </p>
      <div class="cards" data-testid="stats-totals">
        <Stat label="Finished" value={String(t.downloads)} />
        <Stat label="Completed" value={String(t.completed)} />
        <Stat label="Failed" value={String(t.failed)} />
        <Stat label="Cancelled" value={String(t.cancelled)} />
        <Stat label="Success rate" value={formatRate(t.successRate)} />
        <Stat label="Filed" value={formatBytes(t.bytes)} />
        <Stat label="Mean speed" value={formatSpeed(t.meanSpeed)} />
        <Stat
          label="Mean time to file"
          value={t.meanDownloadSeconds === null ? '—' : `${Math.round(t.meanDownloadSeconds)} s`}
        />
      </div>
      <div class="section charts">
        {chart('Downloads per day', series.downloads, 'chart-downloads', 'lines')}
        {chart('MB filed per day', series.bytes, 'chart-bytes', 'bars')}
        {chart('Failures per day', series.failures, 'chart-failures', 'lines')}
        {chart('Transfer speed (KB/s)', series.speed, 'chart-speed', 'lines', false)}
      </div>
      <div class="section split">
        <div>
          <h2>Formats</h2>
          <GroupTable rows={stats.byFormat} first="Format" testid="stats-formats" />
        </div>
        <div>
          <h2>Failure reasons</h2>
          <TableBox testid="stats-reasons">
            <thead>
              <tr>
                <th>Reason</th>
                <th class="num">Failures</th>
                <th class="num">Share</th>
              </tr>
            </thead>
            <tbody>
              {reasonShares(stats.failureReasons).map((r) => (
                <tr key={r.code}>
                  <td class="wrap">{r.code}</td>
                  <td class="num">{r.count}</td>
                  <td class="num">{formatRate(r.share)}</td>
                </tr>
              ))}
              {stats.failureReasons.length === 0 && <Empty cols={3} />}
            </tbody>
          </TableBox>
        </div>
      </div>
      <div class="section">
        <h2>Top artists</h2>
        <GroupTable rows={stats.topArtists} first="Artist" testid="stats-artists" />
      </div>
      <div class="section">
        <h2>Top peers</h2>
        <GroupTable rows={stats.bySource} first="Peer" testid="stats-peers" />
      </div>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="stat">
      <div class="value">{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

function Empty({ cols }: { cols: number }) {
  return (
    <tr>
      <td colSpan={cols} class="muted">
        None in this period.
      </td>
    </tr>
  );
}
