// One link's analytics: totals, the link itself, clicks over time, where and on what. The
// figures refresh every few seconds while the tab is visible, so new clicks show up alone.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, type Analytics, type Click, type Link } from "../api";
import { BarList, type Row } from "../charts/BarList";
import { TimeSeries } from "../charts/TimeSeries";
import { WorldMap } from "../charts/WorldMap";
import { CopyButton } from "../components/CopyButton";
import { Empty, Failed, Loading } from "../components/States";
import { countryName, date, dateTime, isoDate, number, timeZone } from "../format";
import { follow, navigate } from "../router";
import { DeleteDialog, LinkDialog } from "./LinkDialogs";
import { SafeUrl, StatusBadge } from "./parts";

const REFRESH_MS = 5000;
const PRESETS = ["7d", "30d", "90d"] as const;
const INTERVALS = ["hour", "day", "week", "month"] as const;
type Preset = (typeof PRESETS)[number];

interface Filters {
  preset: Preset | null; // null: the custom from/to dates
  from: string;
  to: string;
  interval: string;
  excludeBots: boolean;
}

function initialFilters(): Filters {
  const params = new URLSearchParams(location.search);
  const preset = PRESETS.find((p) => p === params.get("range")) ?? null;
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const custom = !preset && /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to);
  return {
    preset: custom ? null : (preset ?? "7d"),
    from: custom ? from : isoDate(new Date(Date.now() - 6 * 86_400_000)),
    to: custom ? to : isoDate(new Date()),
    interval: INTERVALS.find((i) => i === params.get("interval")) ?? "day",
    excludeBots: params.get("bots") === "exclude",
  };
}

function query(filters: Filters) {
  const range = filters.preset ? { preset: filters.preset } : { from: filters.from, to: filters.to };
  return { ...range, interval: filters.interval, exclude_bots: filters.excludeBots, tz: timeZone() };
}

/** Calls ``refresh`` every few seconds while the page is visible, and at once when it
 * becomes visible again. */
function usePolling(refresh: () => void, enabled: boolean): void {
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

const PLATFORMS: Record<string, string> = { desktop: "Desktop", mobile: "Mobile", tablet: "Tablet", other: "Other" };
const KINDS: Record<Click["kind"], string> = { unique: "Unique", repeat: "Repeat", bot: "Bot" };

export function AnalyticsPage({ id }: { id: string }) {
  const [filters, setFilters] = useState<Filters>(initialFilters);
  const [link, setLink] = useState<Link | null>(null);
  const [data, setData] = useState<Analytics | null>(null);
  const [clicks, setClicks] = useState<Click[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [stale, setStale] = useState<ApiError | null>(null); // a refresh failed; older figures shown
  const [busy, setBusy] = useState(true);
  const [open, setOpen] = useState<"edit" | "delete" | null>(null);
  const latest = useRef(0);
  const shown = useRef(false); // figures are on screen: a failed refresh keeps them
  const custom = filters.preset === null;
  const rangeError = custom && (!filters.from || !filters.to || filters.from > filters.to);

  useEffect(() => {
    api.link(id).then(setLink, (e: ApiError) => setError(e));
  }, [id]);

  const load = useCallback(
    (quiet: boolean) => {
      if (rangeError) return;
      const request = ++latest.current;
      if (!quiet) setBusy(true);
      Promise.all([api.analytics(id, query(filters)), api.clicks(id, { limit: 10 })])
        .then(([figures, log]) => {
          if (request !== latest.current) return;
          shown.current = true;
          setData(figures);
          setLink(figures.link);
          setClicks(log.items);
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
    [id, filters, rangeError],
  );
  useEffect(() => load(false), [load]);
  const refresh = useCallback(() => load(true), [load]);
  const gone = error?.code === "link_not_found";
  // Not while a dialog is open: the figures behind it need not move, and a refresh must not
  // race the deletion it is about to confirm.
  usePolling(refresh, !gone && open === null);

  useEffect(() => {
    // The filters live in the address too: a reload or a shared link shows the same view.
    const params = new URLSearchParams();
    if (filters.preset) params.set("range", filters.preset);
    else (params.set("from", filters.from), params.set("to", filters.to));
    if (filters.interval !== "day") params.set("interval", filters.interval);
    if (filters.excludeBots) params.set("bots", "exclude");
    history.replaceState(null, "", `${location.pathname}?${params}`);
  }, [filters]);

  const set = (change: Partial<Filters>) => setFilters((current) => ({ ...current, ...change }));

  if (gone) {
    return (
      <Empty title="This link does not exist, or it was deleted.">
        <a href="/dashboard/links" onClick={follow}>
          Back to your links
        </a>
      </Empty>
    );
  }
  if (error && !link) return <Failed error={error} retry={() => location.reload()} what="this link" />;
  if (!link) return <Loading what="the link" />;

  const name = link.title || link.code;
  return (
    <section class="analytics" aria-labelledby="analytics-title">
      <a class="back" href="/dashboard/links" onClick={follow}>
        ← All links
      </a>
      <div class="page-head">
        <div class="page-title">
          <h1 id="analytics-title" dir="auto">
            {name}
          </h1>
          <p class="muted">
            <code>{link.short_url}</code> <StatusBadge link={link} />
          </p>
        </div>
        <div class="actions">
          <CopyButton text={link.short_url} what="Copy short URL" />
          <a class="button" href={link.short_url} target="_blank" rel="noopener noreferrer">
            Open
          </a>
          <button type="button" class="button" onClick={() => setOpen("edit")}>
            Edit
          </button>
          <button type="button" class="button button-danger-quiet" onClick={() => setOpen("delete")}>
            Delete
          </button>
        </div>
      </div>

      <div class="cards">
        <Card label="Total clicks" value={data?.totals.total} note={filters.excludeBots ? "people only" : "people and bots"} />
        <Card label="Unique clicks" value={data?.totals.unique} note="distinct visitors" />
        <Card label="Bot clicks" value={data?.totals.bots} note="crawlers and link previews" />
      </div>

      <div class="panel link-panel">
        <h2 class="panel-title">Link</h2>
        <dl class="facts">
          <dt>Name</dt>
          <dd dir="auto">{link.title || <span class="muted">No title</span>}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge link={link} />
          </dd>
          <dt>Short URL</dt>
          <dd>
            <code>{link.short_url}</code>
          </dd>
          <dt>Original URL</dt>
          <dd class="break">
            <SafeUrl url={link.destination_url} />
          </dd>
          <dt>Code</dt>
          <dd>
            <code>{link.code}</code>
          </dd>
          <dt>Lifetime clicks</dt>
          <dd>{number(link.clicks)}</dd>
          <dt>Created</dt>
          <dd>{dateTime(link.created_at)}</dd>
          <dt>Expires</dt>
          <dd>{link.expires_at ? dateTime(link.expires_at) : "Never"}</dd>
        </dl>
      </div>

      <div class="filters" role="group" aria-label="Range and filters">
        <div class="segmented" role="group" aria-label="Range">
          {PRESETS.map((preset) => (
            <button
              key={preset}
              type="button"
              aria-pressed={filters.preset === preset}
              onClick={() => set({ preset })}
            >
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
        {busy && data && <span class="spinner spinner-small" aria-label="Updating" />}
      </div>
      {rangeError && (
        <p class="form-error" role="alert">
          Choose a start date on or before the end date.
        </p>
      )}
      {stale && (
        <p class="banner" role="status">
          Live updates paused: {stale.message} Retrying every few seconds.
        </p>
      )}

      {error && !data ? (
        <Failed error={error} retry={() => load(false)} what="the analytics" />
      ) : !data ? (
        <Loading what="the analytics" />
      ) : (
        <Figures data={data} clicks={clicks ?? []} excludeBots={filters.excludeBots} />
      )}

      {open === "edit" && (
        <LinkDialog
          link={link}
          onClose={() => setOpen(null)}
          onSaved={(saved) => {
            setOpen(null);
            setLink(saved);
          }}
        />
      )}
      {open === "delete" && (
        <DeleteDialog link={link} onClose={() => setOpen(null)} onDeleted={() => navigate("/dashboard/links")} />
      )}
    </section>
  );
}

function Card({ label, value, note }: { label: string; value: number | undefined; note: string }) {
  return (
    <div class="card stat">
      <p class="stat-label">{label}</p>
      <p class="stat-value">{value === undefined ? "–" : number(value)}</p>
      <p class="stat-note muted">{note}</p>
    </div>
  );
}

function Figures({ data, clicks, excludeBots }: { data: Analytics; clicks: Click[]; excludeBots: boolean }) {
  const named = (rows: { name: string; clicks: number }[], names: Record<string, string> = {}): Row[] =>
    rows.map((row) => ({ label: names[row.name] ?? row.name, value: row.clicks }));
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
          <BarList rows={named(data.platforms, PLATFORMS)} empty="No platforms yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Browsers</h2>
          <BarList rows={named(data.browsers)} empty="No browsers yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Operating systems</h2>
          <BarList rows={named(data.os)} empty="No operating systems yet." />
        </div>
        <div class="panel">
          <h2 class="panel-title">Referrers</h2>
          <BarList rows={named(data.referrers)} empty="No referrers yet." />
        </div>
        <div class="panel panel-wide">
          <h2 class="panel-title">Latest clicks</h2>
          {clicks.length === 0 ? (
            <p class="muted empty-list">No clicks yet. Open the short URL to see one arrive.</p>
          ) : (
            <table class="table clicks-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Where</th>
                  <th scope="col">Device</th>
                </tr>
              </thead>
              <tbody>
                {clicks.map((click) => (
                  <tr key={click.id}>
                    <td data-label="When">{dateTime(click.ts)}</td>
                    <td data-label="Kind">
                      <span class={`badge badge-${click.kind}`}>{KINDS[click.kind] ?? click.kind}</span>
                    </td>
                    <td data-label="Where" dir="auto">
                      {[click.city, click.country ? countryName(click.country) : null].filter(Boolean).join(", ") || "Unknown"}
                    </td>
                    <td data-label="Device">
                      {[click.browser, click.os, click.device ? (PLATFORMS[click.device] ?? click.device) : null]
                        .filter(Boolean)
                        .join(" · ") || "Unknown"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </>
  );
}
