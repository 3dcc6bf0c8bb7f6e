/**
 * Time charts drawn with uPlot (canvas): lines, stacked areas and bars with an optional second
 * (percentage) axis and vertical anomaly markers. The figure's data table carries the numbers.
 * @module
 */
import uPlot from "uplot";
import { prefersReducedMotion } from "../dom.ts";
import { type ChartFigure, fillTable } from "./figure.ts";

/** One series of a time chart. */
export interface TimeSeries {
  name: string;
  values: number[];
  kind: "line" | "area" | "bars";
  /** CSS custom property holding the colour, e.g. `--c-1`. */
  color: string;
  /** `pct` puts the series on a 0–100 right axis. */
  scale?: "y" | "pct";
}

/** What a time chart draws. */
export interface TimeChartSpec {
  x: number[];
  labels: string[];
  series: TimeSeries[];
  /** Stack the `area` series (cumulative drawing, raw numbers in the table). */
  stacked?: boolean;
  markers?: Array<{ x: number; label: string }>;
}

const charts = new WeakMap<HTMLElement, uPlot>();

function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function stack(series: TimeSeries[]): number[][] {
  const acc: number[][] = [];
  let prev: number[] | null = null;
  for (const s of series) {
    const row: number[] = s.kind === "area" && prev ? s.values.map((v, i) => v + prev![i]) : s.values;
    if (s.kind === "area") prev = row;
    acc.push(row);
  }
  return acc;
}

/** `1.2M`, `450k`, `12` — y ticks that fit the axis. */
function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(n / 1e3).toFixed(0)}k`;
  return `${+n.toFixed(1)}`;
}

/** The x range of a bar chart: the data's extent plus half the smallest step at each end. */
export function barRange(x: readonly number[]): [number, number] | undefined {
  if (x.length === 0) return undefined;
  let step = Infinity;
  for (let i = 1; i < x.length; i++) step = Math.min(step, x[i]! - x[i - 1]!);
  const half = Number.isFinite(step) && step > 0 ? step / 2 : 150;
  return [x[0]! - half, x[x.length - 1]! + half];
}

/** Tick labels in UTC, 24-hour, with the date when the range spans more than a day. */
function utcTick(x: number[]): (s: number) => string {
  const multiDay = x.length > 1 && x[x.length - 1] - x[0] > 86_400;
  return (s) => {
    const iso = new Date(s * 1000).toISOString();
    return multiDay ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
}

/** Draws (or redraws) the chart into the figure and fills its data table. */
export function drawTimeChart(fig: ChartFigure, spec: TimeChartSpec): void {
  charts.get(fig.plot)?.destroy();
  const width = Math.max(260, fig.plot.clientWidth || 600);
  const ys = spec.stacked ? stack(spec.series) : spec.series.map((s) => s.values);
  const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
  const axisColor = cssColor("--fg-muted");
  const grid = { stroke: cssColor("--grid"), width: 1 };
  const markers = spec.markers ?? [];
  const opts: uPlot.Options = {
    width,
    height: width < 500 ? 200 : 240,
    cursor: { drag: { x: false, y: false } },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: { live: !prefersReducedMotion() },
    // Counts start at zero: a y axis from the minimum exaggerates small differences.
    scales: {
      // Bars are centred on their x: half a step of room at each end keeps the outer bars whole.
      x: { time: true, range: spec.series.some((s) => s.kind === "bars") ? barRange(spec.x) : undefined },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      pct: { range: [0, 100] },
    },
    axes: [
      {
        stroke: axisColor,
        grid,
        ticks: grid,
        values: (_u: uPlot, splits: number[]) => splits.map(utcTick(spec.x)),
      },
      { stroke: axisColor, grid, ticks: grid, size: 56, values: (_u: uPlot, v: number[]) => v.map(compact) },
      ...(spec.series.some((s) => s.scale === "pct")
        ? [{
          scale: "pct",
          side: 1,
          stroke: axisColor,
          grid: { show: false },
          values: (_u: uPlot, v: number[]) => v.map((n) => `${n}%`),
        }]
        : []),
    ],
    series: [
      {
        label: "Time (UTC)",
        value: (
          _u,
          v,
        ) => (v === null ? "—" : new Date(v * 1000).toISOString().slice(5, 16).replace("T", " ")),
      },
      ...spec.series.map((s): uPlot.Series => {
        const color = cssColor(s.color);
        return {
          label: s.name,
          stroke: color,
          width: s.kind === "line" ? 2 : 1,
          scale: s.scale ?? "y",
          fill: s.kind === "line" ? undefined : color + (s.kind === "area" ? "99" : "cc"),
          paths: s.kind === "bars" ? bars : undefined,
          points: { show: spec.x.length < 40 && s.kind === "line" },
          value: (_u, v) => (v === null ? "—" : v.toLocaleString("en-US")),
        };
      }),
    ],
    bands: spec.stacked
      ? spec.series.map((_s, i) => i).filter((i) => i > 0 && spec.series[i].kind === "area").map((i) => ({
        series: [i + 1, i] as [number, number],
      }))
      : undefined,
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = cssColor("--c-alert");
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([6, 4]);
        for (const m of markers) {
          const px = u.valToPos(m.x, "x", true);
          ctx.beginPath();
          ctx.moveTo(px, u.bbox.top);
          ctx.lineTo(px, u.bbox.top + u.bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      }],
    },
  };
  fig.plot.replaceChildren();
  fig.plot.setAttribute("aria-hidden", "true"); // the data table is the text alternative
  const chart = new uPlot(opts, [spec.x, ...ys] as uPlot.AlignedData, fig.plot);
  charts.set(fig.plot, chart);
  fillTable(
    fig.table,
    ["Time (UTC)", ...spec.series.map((s) => s.name)],
    spec.labels.map((l, i) => [l, ...spec.series.map((s) => s.values[i])]),
  );
}

/** Resizes every drawn chart to its container (on window resize). */
export function resizeCharts(figs: ChartFigure[]): void {
  for (const f of figs) {
    const c = charts.get(f.plot);
    if (c) {
      c.setSize({ width: Math.max(260, f.plot.clientWidth), height: f.plot.clientWidth < 500 ? 200 : 240 });
    }
  }
}
