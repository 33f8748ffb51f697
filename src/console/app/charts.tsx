import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';

export interface ChartSeries {
  label: string;
  /** One value per entry of `x`; null leaves a gap. */
  values: (number | null)[];
  /** A CSS colour; a palette colour when absent. */
  color?: string;
}

export interface LineChartProps {
  /** Accessible name of the chart (also shown above it). */
  title: string;
  /** Sample times, epoch milliseconds, ascending. */
  x: number[];
  series: ChartSeries[];
  /** Height in CSS pixels (default 160); the width follows the container. */
  height?: number;
  /** Unit shown on the y axis, e.g. "msg/s". */
  yLabel?: string;
}

const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

/**
 * A small time-series line chart over uPlot. The plot is built once per set
 * of series labels and then only gets new data (uPlot's cheap path), so
 * charts that refresh every second cost little.
 */
export function LineChart({ title, x, series, height = 160, yLabel }: LineChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((entry) => entry.label).join('\u0000') + `\u0000${height}\u0000${yLabel ?? ''}`;

  const data = (): uPlot.AlignedData => [x.map((ms) => ms / 1000), ...series.map((entry) => entry.values)] as uPlot.AlignedData;

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      // uPlot's legend grows the chart unevenly; a static legend below names the series instead.
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: yLabel, size: 50 }],
      series: [
        {},
        ...series.map((entry, index) => ({
          label: entry.label,
          stroke: entry.color ?? PALETTE[index % PALETTE.length],
          width: 1.5,
          spanGaps: false,
        })),
      ],
    };
    const created = new uPlot(options, data(), element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series set changes; data updates go through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={container} class="chart-canvas" />
      {series.length > 1 ? (
        <ul class="chart-legend">
          {series.map((entry, index) => (
            <li key={entry.label}>
              <span class="swatch" style={{ background: entry.color ?? PALETTE[index % PALETTE.length] }} />
              {entry.label}
            </li>
          ))}
        </ul>
      ) : null}
      {x.length === 0 ? <p class="muted">No data yet.</p> : null}
    </figure>
  );
}
