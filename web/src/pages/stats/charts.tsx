/**
 * The charts of the Statistics page: uPlot and its CSS live in this module, which the page loads
 * with a dynamic import, so neither is in the shell's bundle. uPlot draws on a canvas and sets
 * sizes through the CSSOM (element.style), which a strict style-src allows.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './stats-series';

export type ChartKind = 'lines' | 'bars';

const HEIGHT = 220;
/** CSS variables of the theme, one per series in order. */
const COLOURS = ['--accent', '--danger', '--muted', '--ok', '--warn'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function options(series: Series, kind: ChartKind, width: number, utcDays: boolean): uPlot.Options {
  const text = cssVar('--muted');
  const grid = cssVar('--border');
  const axis: uPlot.Axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid },
  };
  const bars = kind === 'bars' ? uPlot.paths.bars?.({ size: [0.6, 40] }) : undefined;
  return {
    width,
    height: HEIGHT,
    // Days are UTC dates: shown as such, not shifted into the browser's zone.
    ...(utcDays ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
    // Fixed from the data: half a day either side of the days, a minute either side of a lone
    // speed sample (uPlot's own range for a single point spans years).
    scales: { x: { time: true, range: xRange(series.data[0], utcDays) } },
    axes: [axis, { ...axis, size: 60 }],
    series: [
      {},
      ...series.labels.map((label, i): uPlot.Series => {
        const colour = cssVar(COLOURS[i % COLOURS.length] ?? '--accent');
        return {
          label,
          stroke: colour,
          width: 2,
          ...(bars ? { paths: bars, fill: colour } : { points: { show: true, size: 5 } }),
          spanGaps: false,
        };
      }),
    ],
  };
}

function xRange(xs: readonly number[], utcDays: boolean): uPlot.Range.MinMax {
  const first = xs[0] ?? 0;
  const last = xs[xs.length - 1] ?? first;
  const pad = utcDays ? 43_200 : first === last ? 60 : 0;
  return [first - pad, last + pad];
}

/** One chart; redrawn when its series change, resized with its box. */
export function Chart({
  title,
  series,
  kind = 'lines',
  utcDays = true,
  testid,
}: {
  title: string;
  series: Series;
  kind?: ChartKind;
  utcDays?: boolean;
  testid: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(200, el.clientWidth);
    const plot = new uPlot(options(series, kind, width(), utcDays), series.data, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [series, kind, utcDays]);
  return (
    <figure class="chart" data-testid={testid}>
      <h3>{title}</h3>
      <div ref={box} />
    </figure>
  );
}
