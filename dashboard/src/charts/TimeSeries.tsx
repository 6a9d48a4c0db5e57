// Clicks over time, drawn by uPlot on a canvas. The chart is made once per shape (bots
// shown or not) and fed new data in place, so a live refresh does not flicker.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Bucket } from "../api";
import { compactNumber, number } from "../format";

const COLORS = { total: "#4f46e5", unique: "#0891b2", bots: "#d97706" };
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];

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

function columns(buckets: Bucket[], showBots: boolean): uPlot.AlignedData {
  const xs = buckets.map((b) => Date.parse(b.t) / 1000);
  const series: number[][] = [buckets.map((b) => b.total), buckets.map((b) => b.unique)];
  if (showBots) series.push(buckets.map((b) => b.bots));
  return [xs, ...series];
}

interface Props {
  buckets: Bucket[];
  interval: string;
  showBots: boolean;
}

export function TimeSeries({ buckets, interval, showBots }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = box.current!;
    const ticks = tickFormat(interval);
    const legend = legendFormat(interval);
    const value = (_: uPlot, v: number | null) => (v == null ? "–" : number(v));
    const series: uPlot.Series[] = [
      { value: (_, v) => (v == null ? "–" : legend.format(new Date(v * 1000))) },
      { label: "Total", stroke: COLORS.total, width: 2, fill: "rgba(79, 70, 229, 0.08)", value },
      { label: "Unique", stroke: COLORS.unique, width: 2, value },
    ];
    if (showBots) series.push({ label: "Bots", stroke: COLORS.bots, width: 1.5, dash: [5, 4], value });
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height: element.clientWidth < 500 ? 200 : 260,
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
      columns(buckets, showBots),
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 200);
      if (width !== plot.width) plot.setSize({ width, height: width < 500 ? 200 : 260 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- data is fed in place below
  }, [interval, showBots]);

  useEffect(() => {
    chart.current?.setData(columns(buckets, showBots));
  }, [buckets, showBots]);

  return <div ref={box} class="timeseries" role="img" aria-label="Clicks over time" />;
}
