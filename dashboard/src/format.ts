// How values are shown: in the viewer's locale, and URLs in a form that cannot pass for
// another site. Pure functions, unit-tested in test/format.test.ts.

const numbers = new Intl.NumberFormat();
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const dateTimes = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
let regions: Intl.DisplayNames | null = null;
try {
  regions = new Intl.DisplayNames(undefined, { type: "region", fallback: "none" });
} catch {
  regions = null; // very old engines: codes it is
}

export function number(value: number): string {
  return numbers.format(value);
}

export function compactNumber(value: number): string {
  return Math.abs(value) < 10_000 ? numbers.format(value) : compact.format(value);
}

const percents = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });

export function percent(part: number, whole: number): string {
  return whole ? ratio(part / whole) : "0%";
}

/** A share (0.4 → "40%", 2/3 → "66.7%"); "–" when there is none to give. */
export function ratio(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "–" : percents.format(value);
}

export function dateTime(iso: string | null): string {
  return iso ? dateTimes.format(new Date(iso)) : "";
}

export function date(iso: string | null): string {
  return iso ? dates.format(new Date(iso)) : "";
}

/** "Germany" for "DE"; the code itself when the engine has no name for it. */
export function countryName(code: string | null | undefined): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return "Unknown";
  const upper = code.toUpperCase();
  try {
    return regions?.of(upper) ?? upper;
  } catch {
    return upper;
  }
}

export interface ShownUrl {
  text: string; // to read: the host in punycode, the rest with its letters decoded
  href: string; // the URL exactly as the parser writes it (ASCII only), e.g. for a title
  host: string;
  idn: boolean; // the host has non-ASCII labels: shown as xn--… so look-alikes stand out
}

/** A destination URL as it is safe to show. The URL parser turns a Unicode host into its
 * punycode (xn--) form and percent-encodes the rest, so "аpple.com" spelled with a
 * Cyrillic "а" cannot pass for apple.com, and bidi or invisible characters cannot reorder
 * what the reader sees. The path, query and fragment are then decoded where that only
 * gives back letters, digits, marks, punctuation and symbols people wrote
 * ("/Ünïcode", not "/%C3%9Cn%C3%AFcode"); see readablePart. */
export function shownUrl(raw: string): ShownUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const text = raw.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
    return { text, href: text, host: "", idn: false };
  }
  const idn = url.hostname.split(".").some((label) => label.startsWith("xn--"));
  const rest = url.href.slice(url.origin.length);
  const text = url.origin === "null" ? url.href : url.origin + readablePart(rest);
  return { text, href: url.href, host: url.hostname, idn };
}

// What may be shown decoded: a visible character outside ASCII. ASCII stays as it was sent
// (an encoded "/", "?", "%" or space means something else than the plain one); spaces,
// bidi controls and invisible format characters stay encoded, so nothing can hide or
// reorder what the reader sees.
const VISIBLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** A percent-encoded path, query or fragment with its readable characters decoded. */
export function readablePart(encoded: string): string {
  return encoded.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(run);
    } catch {
      return run; // not UTF-8: left as it is
    }
    return Array.from(decoded, (c) => (c.charCodeAt(0) > 0x7f && VISIBLE.test(c) ? c : encodeURIComponent(c))).join("");
  });
}

/** The local calendar date of a Date as YYYY-MM-DD (what <input type=date> holds). */
export function isoDate(value: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/** The instant an "expires on" date ends in the viewer's zone: the next local midnight. */
export function endOfLocalDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + 1).toISOString();
}

/** The local date an expiry instant falls on, counting an instant at local midnight as the
 * end of the previous day (the inverse of endOfLocalDay). */
export function expiryDay(iso: string | null): string {
  if (!iso) return "";
  return isoDate(new Date(new Date(iso).getTime() - 1));
}

export function timeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
