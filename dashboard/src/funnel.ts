// The campaign funnel (delivered → clicked → converted) as the dashboard shows it: its
// steps and the rates between them, durations and money in words a person reads. Pure
// functions, unit-tested in test/funnel.test.ts.

import type { Funnel, Query } from "./api";
import { ratio } from "./format";

export type StepKey = "delivered" | "clicked" | "converted";

export interface Step {
  key: StepKey;
  label: string;
  value: number;
  share: number; // of the largest step, 0..1: the bar's length
  // The rate from the step before into this one ("Click rate 40%"); null for the first.
  rate: { label: string; value: number | null; text: string } | null;
}

export const STEP_LABELS: Record<StepKey, string> = {
  delivered: "Delivered",
  clicked: "Clicked",
  converted: "Converted",
};

/** The funnel's three steps, each with the rate that led to it. Each step counts on its
 * own (a contact may click without a delivery report), so a later step can be larger. */
export function funnelSteps(funnel: Pick<Funnel, StepKey | "click_rate" | "conversion_rate">): Step[] {
  const largest = Math.max(1, funnel.delivered, funnel.clicked, funnel.converted);
  const step = (key: StepKey, rate: Step["rate"]): Step => ({
    key,
    label: STEP_LABELS[key],
    value: funnel[key],
    share: funnel[key] / largest,
    rate,
  });
  const rate = (label: string, value: number | null) => ({ label, value, text: ratio(value) });
  return [
    step("delivered", null),
    step("clicked", rate("Click rate", funnel.click_rate)),
    step("converted", rate("Conversion rate", funnel.conversion_rate)),
  ];
}

/** Nothing reported in the range: no delivery, no conversion (clicks alone are no funnel). */
export function funnelEmpty(funnel: Pick<Funnel, "delivered" | "converted" | "conversions">): boolean {
  return funnel.delivered === 0 && funnel.converted === 0 && funnel.conversions === 0;
}

/** The analytics query as the funnel takes it: the range only (bots never count in it). */
export function funnelQuery(query: Query): Query {
  const { exclude_bots: _bots, ...range } = query;
  return range;
}

/** A duration in the two largest units that matter: "45 s", "3 min 20 s", "2 h 5 min",
 * "3 d 4 h"; "< 1 s" below a second, "–" for none. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  const secs = Math.round(seconds);
  if (secs === 0) return "< 1 s";
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return pair(Math.floor(secs / 60), "min", secs % 60, "s");
  const mins = Math.round(seconds / 60);
  if (mins < 1440) return pair(Math.floor(mins / 60), "h", mins % 60, "min");
  const hours = Math.round(seconds / 3600);
  return pair(Math.floor(hours / 24), "d", hours % 24, "h");
}

/** The same duration for a <time datetime>: ISO 8601, "PT200S". */
export function isoDuration(seconds: number): string {
  return `PT${Math.round(seconds)}S`;
}

/** A sum of money as the API gives it (a decimal string) in the viewer's locale, with as
 * many decimals as the API sent: "€1,234.50", "¥1,200". The string is formatted as it is
 * (no float on the way), so large sums keep every digit. */
export function money(value: string, currency: string): string {
  const decimals = /\.(\d+)$/.exec(value)?.[1].length ?? 0;
  try {
    const format = new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    // Intl formats a numeric string exactly (ES2023); the lib types know numbers only.
    return format.format(value as unknown as number);
  } catch {
    return `${value} ${currency}`; // a code this engine does not know
  }
}

/** The attribution window as typed in the settings: a whole number is sent as one, any
 * other text as it is, so the server's own check (and message) decides. */
export function windowDays(text: string): number | string {
  return /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
}
