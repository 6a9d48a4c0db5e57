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
const OWN = ["range", "from", "to", "interval", "bots"]; // the address parameters these filters use

export function filtersFrom(search: string, now: Date = new Date()): Filters {
  const params = new URLSearchParams(search);
  const preset = PRESETS.find((p) => p === params.get("range")) ?? null;
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const custom = !preset && DAY.test(from) && DAY.test(to);
  return {
    preset: custom ? null : (preset ?? "7d"),
    from: custom ? from : isoDate(new Date(now.getTime() - 6 * 86_400_000)),
    to: custom ? to : isoDate(now),
    interval: INTERVALS.find((i) => i === params.get("interval")) ?? "day",
    excludeBots: params.get("bots") === "exclude",
  };
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
