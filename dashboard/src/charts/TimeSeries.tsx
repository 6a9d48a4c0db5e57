// Figures over time, drawn by uPlot on a canvas: clicks (total, unique, bots) and a
// funnel's steps. The chart is made once per shape (its lines) and fed new data in place,
// so a live refresh does not flicker.

import { useEffect, useMemo, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Bucket } from "../api";
import { compactNumber, number } from "../format";

const COLORS = { total: "#4f46e5", unique: "#0891b2", bots: "#d97706" };
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];

/** One line of a chart; dashes and widths tell lines apart without their colours. */
export interface Line {
  label: string;
  values: number[];
  stroke: string;
  width?: number;
  dash?: number[];
  fill?: string;
}

function tickFormat(interval: string): Intl.DateTimeFormat {
  if (interval === "hour") return new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric" });
  if (interval === "month") return new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short" });
  return new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
}

function legendFormat(interval: string): Intl.DateTimeFormat {
  if (interval === "hour") return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  if (interval === "month") return new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long" });
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
}

interface ChartProps {
  times: string[]; // each bucket's start
  lines: Line[]; // memoised by the caller: a new array is new data
  interval: string;
  label: string; // what the chart shows, for screen readers
}

const chartHeight = (width: number) => (width < 500 ? 200 : 260);

/** Lines over the buckets of a range, ticks on bucket starts. */
export function TimeChart({ times, lines, interval, label }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [times.map((t) => Date.parse(t) / 1000), ...lines.map((line) => line.values)];
  const shape = lines.map((line) => line.label).join("\n");

  useEffect(() => {
    const element = box.current!;
    const ticks = tickFormat(interval);
    const legend = legendFormat(interval);
    const value = (_: uPlot, v: number | null) => (v == null ? "–" : number(v));
    const series: uPlot.Series[] = [
      { value: (_, v) => (v == null ? "–" : legend.format(new Date(v * 1000))) },
      ...lines.map(({ label, stroke, width = 2, dash, fill }) => ({ label, stroke, width, dash, fill, value })),
    ];
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height: chartHeight(element.clientWidth),
        series,
        scales: { x: { time: true }, y: { range: (_, __, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
        axes: [
          {
            // Ticks on bucket starts only, as many as fit: never a "day" tick at 6 AM.
            splits: (u) => {
              const xs = (u.data[0] ?? []) as number[];
              const fit = Math.max(2, Math.floor(u.width / (interval === "hour" ? 110 : 80)));
              const step = Math.max(1, Math.ceil(xs.length / fit));
              return xs.filter((_, i) => i % step === 0);
            },
            values: (_, splits) => splits.map((s) => ticks.format(new Date(s * 1000))),
            stroke: "#64748b",
            grid: { stroke: "#eef2f7" },
          },
          {
            values: (_, splits) => splits.map(compactNumber),
            incrs: INTEGER_STEPS,
            stroke: "#64748b",
            grid: { stroke: "#eef2f7" },
            size: 48,
          },
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
      },
      data(),
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 200);
      if (width !== plot.width) plot.setSize({ width, height: chartHeight(width) });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- data is fed in place below
  }, [interval, shape]);

  useEffect(() => {
    chart.current?.setData(data());
    // eslint-disable-next-line react-hooks/exhaustive-deps -- times and lines are the data
  }, [times, lines]);

  return <div ref={box} class="timeseries" role="img" aria-label={label} />;
}

interface Props {
  buckets: Bucket[];
  interval: string;
  showBots: boolean;
}

/** Clicks over time: total, unique and (unless left out) bots. */
export function TimeSeries({ buckets, interval, showBots }: Props) {
  const times = useMemo(() => buckets.map((b) => b.t), [buckets]);
  const lines = useMemo(() => {
    const shown: Line[] = [
      { label: "Total", values: buckets.map((b) => b.total), stroke: COLORS.total, fill: "rgba(79, 70, 229, 0.08)" },
      { label: "Unique", values: buckets.map((b) => b.unique), stroke: COLORS.unique },
    ];
    if (showBots) shown.push({ label: "Bots", values: buckets.map((b) => b.bots), stroke: COLORS.bots, width: 1.5, dash: [5, 4] });
    return shown;
  }, [buckets, showBots]);
  return <TimeChart times={times} lines={lines} interval={interval} label="Clicks over time" />;
}
