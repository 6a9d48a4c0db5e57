// Where the links list is: its page number and the cursor that page starts at, kept in the
// address (so a reload, the back button or a shared address opens the same page) and the
// cursors of the pages before it in the history entry (so Previous works after a reload).
// Pure functions, unit-tested in test/listPages.test.ts.

export interface Position {
  cursors: (string | null)[]; // the cursor of each page known, the first page's null
  skipped: number; // pages before cursors[0] whose cursors are not known (an address shared)
}

export const FIRST: Position = { cursors: [null], skipped: 0 };
const PAGE = /^[1-9][0-9]{0,5}$/;

export function pageNumber(position: Position): number {
  return position.skipped + position.cursors.length;
}

/** The position an address names, with the cursors a history entry kept for it. */
export function positionFrom(search: string, state: unknown): Position {
  const params = new URLSearchParams(search);
  const cursor = params.get("cursor");
  const page = PAGE.test(params.get("page") ?? "") ? Number(params.get("page")) : 1;
  if (!cursor || page < 2) return FIRST;
  const kept = (state as { cursors?: unknown } | null)?.cursors;
  if (
    Array.isArray(kept) &&
    kept.length === page &&
    kept[0] === null &&
    kept.slice(1).every((c) => typeof c === "string") &&
    kept[kept.length - 1] === cursor
  ) {
    return { cursors: kept as (string | null)[], skipped: 0 };
  }
  return { cursors: [cursor], skipped: page - 1 };
}

/** The address query with the position in it; other parameters stay. */
export function positionSearch(position: Position, search: string): string {
  const params = new URLSearchParams(search);
  params.delete("page");
  params.delete("cursor");
  const cursor = position.cursors[position.cursors.length - 1];
  if (cursor) {
    params.set("page", String(pageNumber(position)));
    params.set("cursor", cursor);
  }
  return params.toString();
}

export function nextPage(position: Position, cursor: string): Position {
  return { ...position, cursors: [...position.cursors, cursor] };
}

/** One page back; from a page whose earlier cursors are unknown, the first page. */
export function previousPage(position: Position): Position {
  return position.cursors.length > 1 ? { ...position, cursors: position.cursors.slice(0, -1) } : FIRST;
}
