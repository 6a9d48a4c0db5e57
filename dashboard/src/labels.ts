// The names breakdowns show for the API's values: platforms capitalised as browsers and
// systems are, and one wording for a click whose details are missing. The API names an
// unknown browser, platform or OS "Unknown" and a click without a referrer "Direct"; with
// metadata collection off every new click has neither, so "Direct" would claim something
// nobody saw. Pure functions, unit-tested in test/labels.test.ts.

export type Breakdown = "platform" | "browser" | "os" | "referrer";

export const PLATFORMS: Record<string, string> = { desktop: "Desktop", mobile: "Mobile", tablet: "Tablet", other: "Other" };

// The API's names of a click without the detail (api/analytics/breakdowns.py).
const MISSING: Record<Breakdown, string> = { platform: "Unknown", browser: "Unknown", os: "Unknown", referrer: "Direct" };
export const NOT_COLLECTED = "Unknown (not collected)";

/** How a breakdown's row is named: ``collecting`` is the tenant's metadata setting (the
 * missing rows then hold clicks made while it was off, as well as truly unknown ones). */
export function breakdownLabel(kind: Breakdown, name: string, collecting: boolean): string {
  if (name === MISSING[kind]) return collecting ? name : NOT_COLLECTED;
  return kind === "platform" ? (PLATFORMS[name] ?? capitalised(name)) : name;
}

function capitalised(name: string): string {
  return name ? name[0].toUpperCase() + name.slice(1) : name;
}
