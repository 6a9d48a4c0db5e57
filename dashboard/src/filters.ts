// The analytics filters (range, interval, bots) of a link's or a campaign's figures: read
// from and written to the address, so a reload or a shared link shows the same view, and
// turned into the API's query. Pure functions, unit-tested in test/filters.test.ts.

import type { Query } from "./api";
import { isoDate } from "./format";

export const PRESETS = ["7d", "30d", "90d"] as const;
export const INTERVALS = ["hour", "day", "week", "month"] as const;
export type Preset = (typeof PRESETS)[number];

export interface Filters {
  preset: Preset | null; // null: the custom from/to dates
  from: string;
  to: string;
  interval: string;
  excludeBots: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAYS: Record<Preset, number> = { "7d": 7, "30d": 30, "90d": 90 };
const OWN = ["range", "from", "to", "interval", "bots"]; // the address parameters these filters use

export function filtersFrom(search: string, now: Date = new Date()): Filters {
  const params = new URLSearchParams(search);
  const preset = PRESETS.find((p) => p === params.get("range")) ?? null;
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const custom = !preset && DAY.test(from) && DAY.test(to);
  return {
    preset: custom ? null : (preset ?? "7d"),
    ...(custom ? { from, to } : presetDates(preset ?? "7d", now)),
    interval: INTERVALS.find((i) => i === params.get("interval")) ?? "day",
    excludeBots: params.get("bots") === "exclude",
  };
}

/** The dates a preset covers, as the From and To fields show them. The API's preset is the
 * time from N days before now until now, so it starts on the local date of that instant:
 * the chart's first bucket is the From date (N + 1 dates, the first one partly). */
export function presetDates(preset: Preset, now: Date = new Date()): { from: string; to: string } {
  return { from: isoDate(new Date(now.getTime() - DAYS[preset] * 86_400_000)), to: isoDate(now) };
}

/** The filters after a change: choosing a preset moves the From and To fields to its dates. */
export function changeFilters(current: Filters, change: Partial<Filters>, now: Date = new Date()): Filters {
  const next = { ...current, ...change };
  return change.preset ? { ...next, ...presetDates(change.preset, now) } : next;
}

/** The address query with these filters in it; other parameters (a campaign's name) stay. */
export function filtersSearch(filters: Filters, search: string): string {
  const params = new URLSearchParams(search);
  OWN.forEach((name) => params.delete(name));
  if (filters.preset) params.set("range", filters.preset);
  else (params.set("from", filters.from), params.set("to", filters.to));
  if (filters.interval !== "day") params.set("interval", filters.interval);
  if (filters.excludeBots) params.set("bots", "exclude");
  return params.toString();
}

/** A custom range the API would refuse: a date missing, or the start after the end. */
export function rangeInvalid(filters: Filters): boolean {
  return filters.preset === null && (!filters.from || !filters.to || filters.from > filters.to);
}

export function filtersQuery(filters: Filters, tz: string): Query {
  const range = filters.preset ? { preset: filters.preset } : { from: filters.from, to: filters.to };
  return { ...range, interval: filters.interval, exclude_bots: filters.excludeBots, tz };
}
