// The link page's latest clicks: the newest page refreshes with the figures, older pages
// are added by "Load more", and the two are kept as one list without holes or repeats.
// Pure functions, unit-tested in test/clicklog.test.ts.

import type { Page, Query } from "./api";

export const LOG_PAGE = 25;

export interface Log<T> {
  key: string; // the query the clicks answer: another range or bot toggle starts again
  items: T[]; // newest first
  cursor: string | null; // where the next older page starts; null: none older
}

/** The click log's query for the figures' query: the same range, zone and bot toggle
 * (the log has no buckets, so no interval). */
export function logQuery(figures: Query): Query {
  return { ...figures, interval: null };
}

export function logKey(query: Query): string {
  return JSON.stringify(Object.entries(logQuery(query)).filter(([, value]) => value !== null && value !== undefined).sort());
}

/** The list after a fresh newest page: older pages loaded for the same query stay under it.
 * When clicks came faster than a page between two refreshes the newest page no longer
 * touches what is shown, so the list starts again from it rather than hide the clicks in
 * between. */
export function withNewest<T extends { id: string }>(log: Log<T> | null, newest: Page<T>, key: string): Log<T> {
  const fresh = { key, items: newest.items, cursor: newest.next_cursor };
  if (!log || log.key !== key || log.items.length <= newest.items.length) return fresh;
  const ids = new Set(newest.items.map((click) => click.id));
  const touches = newest.next_cursor === null || log.items.some((click) => ids.has(click.id));
  if (!touches) return fresh;
  return { key, items: [...newest.items, ...log.items.filter((click) => !ids.has(click.id))], cursor: log.cursor };
}

/** The list with an older page added below it, unless the query changed meanwhile. */
export function withOlder<T extends { id: string }>(log: Log<T>, older: Page<T>, key: string): Log<T> {
  if (log.key !== key) return log;
  const ids = new Set(log.items.map((click) => click.id));
  return { key, items: [...log.items, ...older.items.filter((click) => !ids.has(click.id))], cursor: older.next_cursor };
}
