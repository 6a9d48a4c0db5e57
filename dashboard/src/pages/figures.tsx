// The pieces a link's and a campaign's analytics share: the live figures and their filters,
// the filter bar, the stat cards, and the chart, map and breakdown panels. The figures
// refresh every few seconds while the tab is visible, so new clicks show up alone.

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type ApiError, type Figures, type Query } from "../api";
import { BarList, type Row } from "../charts/BarList";
import { TimeSeries } from "../charts/TimeSeries";
import { WorldMap } from "../charts/WorldMap";
import { changeFilters, filtersFrom, filtersQuery, filtersSearch, INTERVALS, PRESETS, rangeInvalid, type Filters } from "../filters";
import { countryName, date, number, timeZone } from "../format";
import { type Breakdown, breakdownLabel, NOT_COLLECTED } from "../labels";

const REFRESH_MS = 5000;

export const KINDS: Record<string, string> = { unique: "Unique", repeat: "Repeat", bot: "Bot" };

interface Located {
  city: string | null;
  country: string | null;
}

interface Equipped {
  browser: string | null;
  os: string | null;
  device: string | null;
}

export function place(click: Located): string {
  return [click.city, click.country ? countryName(click.country) : null].filter(Boolean).join(", ") || "Unknown";
}

export function equipment(click: Equipped): string {
  const device = click.device ? breakdownLabel("platform", click.device, true) : null;
  return [click.browser, click.os, device].filter(Boolean).join(" · ") || "Unknown";
}

/** Whether the tenant collects location and device details; assumed so until known, or if
 * the settings cannot be read. */
function useCollecting(): boolean {
  const [collecting, setCollecting] = useState(true);
  useEffect(() => {
    let live = true;
    api.settings().then(
      (settings) => live && setCollecting(settings.collect_metadata),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return collecting;
}

/** Calls ``refresh`` every few seconds while the page is visible, and at once when it
 * becomes visible again. */
export function usePolling(refresh: () => void, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => document.visibilityState === "visible" && refresh(), REFRESH_MS);
    const visible = () => document.visibilityState === "visible" && refresh();
    document.addEventListener("visibilitychange", visible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [refresh, enabled]);
}

export interface LiveFigures<T> {
  filters: Filters;
  set: (change: Partial<Filters>) => void;
  data: T | null;
  error: ApiError | null; // the figures could not be loaded at all
  stale: ApiError | null; // a refresh failed; older figures are shown
  busy: boolean;
  invalid: boolean; // the custom range cannot be asked for
  retry: () => void;
}

/** Figures for the filters in the address, loaded by ``load`` (which must be stable) and
 * refreshed while shown; ``paused`` stops the refreshes (a dialog is open). */
export function useLiveFigures<T>(load: (query: Query) => Promise<T>, paused: boolean): LiveFigures<T> {
  const [filters, setFilters] = useState<Filters>(() => filtersFrom(location.search));
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [stale, setStale] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(true);
  const latest = useRef(0);
  const shown = useRef(false); // figures are on screen: a failed refresh keeps them
  const invalid = rangeInvalid(filters);

  const fetch = useCallback(
    (quiet: boolean) => {
      if (invalid) return;
      const request = ++latest.current;
      if (!quiet) setBusy(true);
      load(filtersQuery(filters, timeZone()))
        .then((result) => {
          if (request !== latest.current) return; // an older request answered late
          shown.current = true;
          setData(result);
          setError(null);
          setStale(null);
        })
        .catch((e: ApiError) => {
          if (request !== latest.current) return;
          if (quiet && shown.current) setStale(e);
          else setError(e);
        })
        .finally(() => request === latest.current && setBusy(false));
    },
    [load, filters, invalid],
  );
  useEffect(() => fetch(false), [fetch]);
  const refresh = useCallback(() => fetch(true), [fetch]);
  usePolling(refresh, !paused && error?.status !== 404);

  useEffect(() => {
    history.replaceState(null, "", `${location.pathname}?${filtersSearch(filters, location.search)}`);
  }, [filters]);

  const set = useCallback((change: Partial<Filters>) => setFilters((current) => changeFilters(current, change)), []);
  return { filters, set, data, error, stale, busy, invalid, retry: () => fetch(false) };
}

export function FilterBar({ live }: { live: LiveFigures<unknown> }) {
  const { filters, set } = live;
  return (
    <>
      <div class="filters" role="group" aria-label="Range and filters">
        <div class="segmented" role="group" aria-label="Range">
          {PRESETS.map((preset) => (
            <button key={preset} type="button" aria-pressed={filters.preset === preset} onClick={() => set({ preset })}>
              Last {preset}
            </button>
          ))}
        </div>
        <label class="inline-field">
          <span>From</span>
          <input
            type="date"
            name="from"
            value={filters.from}
            max={filters.to || undefined}
            onInput={(e) => set({ preset: null, from: e.currentTarget.value })}
          />
        </label>
        <label class="inline-field">
          <span>To</span>
          <input
            type="date"
            name="to"
            value={filters.to}
            min={filters.from || undefined}
            onInput={(e) => set({ preset: null, to: e.currentTarget.value })}
          />
        </label>
        <label class="inline-field">
          <span>Interval</span>
          <select name="interval" value={filters.interval} onChange={(e) => set({ interval: e.currentTarget.value })}>
            {INTERVALS.map((interval) => (
              <option key={interval} value={interval}>
                {interval[0].toUpperCase() + interval.slice(1)}
              </option>
            ))}
          </select>
        </label>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            name="exclude_bots"
            checked={filters.excludeBots}
            onChange={(e) => set({ excludeBots: e.currentTarget.checked })}
          />
          <span>Exclude bots</span>
        </label>
        {live.busy && live.data !== null && <span class="spinner spinner-small" aria-label="Updating" />}
      </div>
      {live.invalid && (
        <p class="form-error" role="alert">
          Choose a start date on or before the end date.
        </p>
      )}
      {live.stale && (
        <p class="banner" role="status">
          Live updates paused: {live.stale.message} Retrying every few seconds.
        </p>
      )}
    </>
  );
}

interface CardsProps {
  totals: Figures["totals"] | undefined; // undefined: not loaded yet
  excludeBots: boolean;
  contacts?: boolean; // a card for the contacts who clicked (a campaign's figures)
}

export function StatCards({ totals, excludeBots, contacts = false }: CardsProps) {
  return (
    <div class={contacts ? "cards cards-4" : "cards"}>
      <Card label="Total clicks" value={totals?.total} note={excludeBots ? "people only" : "people and bots"} />
      <Card label="Unique clicks" value={totals?.unique} note="distinct visitors" />
      <Card
        label="Bot clicks"
        value={totals?.bots}
        note={excludeBots ? "crawlers and link previews, left out of every other figure" : "crawlers and link previews"}
      />
      {contacts && <Card label="Contacts" value={totals?.contacts} note="contacts who clicked" />}
    </div>
  );
}

interface CardProps {
  label: string;
  value?: number; // undefined: not loaded yet, unless children say what to show
  note: string;
  children?: ComponentChildren; // the value as something other than a count
}

/** One figure with its label and a note on what it counts. */
export function Card({ label, value, note, children }: CardProps) {
  return (
    <div class="card stat">
      <p class="stat-label">{label}</p>
      <p class="stat-value">{children ?? (value === undefined ? "–" : number(value))}</p>
      <p class="stat-note muted">{note}</p>
    </div>
  );
}

/** The chart, then a grid of the map and breakdowns; ``children`` are more wide panels at
 * the end of the grid (the latest clicks, a campaign's links). */
export function FigurePanels({ data, excludeBots, children }: { data: Figures; excludeBots: boolean; children?: ComponentChildren }) {
  const collecting = useCollecting();
  const named = (rows: { name: string; clicks: number }[], kind: Breakdown): Row[] =>
    rows.map((row) => ({ label: breakdownLabel(kind, row.name, collecting), value: row.clicks }));
  const countries = useMemo(
    () =>
      data.countries.map((row) => ({
        label: countryName(row.country),
        value: row.clicks,
        detail: `${number(row.unique)} unique`,
      })),
    [data.countries],
  );
  const range = `${date(data.range.from)} – ${date(new Date(Date.parse(data.range.to) - 1).toISOString())}`;
  return (
    <>
      <div class="panel">
        <div class="panel-head">
          <h2 class="panel-title">Clicks over time</h2>
          <span class="muted">{range}</span>
        </div>
        {data.totals.total === 0 && <p class="muted chart-note">No clicks in this range yet. New clicks appear here within seconds.</p>}
        <TimeSeries buckets={data.timeseries} interval={data.range.interval} showBots={!excludeBots} />
      </div>
      {!collecting && (
        <p class="banner" role="note">
          Location and device collection is off (Settings): clicks since it was turned off show as “{NOT_COLLECTED}”.
        </p>
      )}
      <div class="grid">
        <div class="panel panel-wide">
          <h2 class="panel-title">Click locations</h2>
          <WorldMap locations={data.locations} />
          {data.locations.length === 0 && (
            <p class="muted">No located clicks in this range. Clicks from private networks have no location.</p>
          )}
        </div>
        <div class="panel">
          <h2 class="panel-title">Top countries</h2>
          <BarList rows={countries} empty="No countries yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Platforms</h2>
          <BarList rows={named(data.platforms, "platform")} empty="No platforms yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Browsers</h2>
          <BarList rows={named(data.browsers, "browser")} empty="No browsers yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Operating systems</h2>
          <BarList rows={named(data.os, "os")} empty="No operating systems yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Referrers</h2>
          <BarList rows={named(data.referrers, "referrer")} empty="No referrers yet." />
        </div>
        {children}
      </div>
    </>
  );
}
